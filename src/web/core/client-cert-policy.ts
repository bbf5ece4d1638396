// What a TLS connection must show beyond what the handshake itself enforces: only the strict
// client_auth_type fails the handshake; the others, and client_allowed_sans, are decided here.
import type { ResolvedTls } from './web-config.js';

/** The facts about a peer the policy needs (from the TLS socket, see src/web/io/tls.ts). */
export interface PeerCertificate {
  /** The client sent a certificate. */
  present: boolean;
  /** It verified against the client CA. */
  authorized: boolean;
  /** Node's `subjectaltname` string, e.g. `DNS:a.example, IP Address:10.0.0.1`. */
  subjectAltName?: string;
}

/** The SAN values of a `subjectaltname` string, without their type prefixes. */
export function subjectAltNames(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address|email|URI):/, ''))
    .filter(Boolean);
}

/** Why a connection breaks the client-certificate policy, or undefined when it meets it. */
export function clientCertRefusal(peer: PeerCertificate, tls: Pick<ResolvedTls, 'clientAuth' | 'clientAllowedSans'>): string | undefined {
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      if (!peer.present) return 'no client certificate';
      break;
    case 'VerifyClientCertIfGiven':
      if (peer.present && !peer.authorized) return 'client certificate not signed by the client CA';
      break;
    case 'RequireAndVerifyClientCert':
      if (!peer.present) return 'no client certificate';
      if (!peer.authorized) return 'client certificate not signed by the client CA';
      break;
    default:
      break;
  }
  if (tls.clientAllowedSans && peer.present) {
    const sans = subjectAltNames(peer.subjectAltName);
    if (!tls.clientAllowedSans.some((allowed) => sans.includes(allowed))) return `client certificate SANs ${sans.join(', ') || '(none)'} match none of client_allowed_sans`;
  }
  return undefined;
}
