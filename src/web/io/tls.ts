// TLS for the listener: Node server options from a resolved tls_server_config (reading the
// certificate, key and client CA it names) and the peer facts the client-certificate policy needs.
import { readFile } from 'node:fs/promises';
import type https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { PeerCertificate } from '../core/client-cert-policy.js';
import type { ResolvedTls, Source } from '../core/web-config.js';
import { WebConfigError } from './web-config-file.js';

async function readSource(src: Source, what: string): Promise<string> {
  if ('inline' in src) return src.inline;
  try {
    return await readFile(src.file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`cannot read ${what} ${src.file}: ${(e as Error).message}`);
  }
}

/** Node TLS server options for a resolved tls_server_config (reads the files it names). */
export async function tlsServerOptions(tls: ResolvedTls): Promise<https.ServerOptions> {
  const [cert, key, ca] = await Promise.all([
    readSource(tls.cert, 'certificate'),
    readSource(tls.key, 'key'),
    tls.clientCa ? readSource(tls.clientCa, 'client CA') : Promise.resolve(undefined),
  ]);
  return {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    requestCert: tls.clientAuth !== 'NoClientCert',
    // Only the strict mode lets the handshake itself fail; the others are checked per connection.
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
    minVersion: tls.minVersion,
    ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    ...(tls.ecdhCurve ? { ecdhCurve: tls.ecdhCurve } : {}),
    honorCipherOrder: tls.honorCipherOrder,
  };
}

/** What the client showed on an established TLS connection. */
export function peerCertificateOf(socket: TLSSocket): PeerCertificate {
  const peer = socket.getPeerCertificate();
  const present = Boolean(peer && Object.keys(peer).length > 0);
  return { present, authorized: socket.authorized, ...(present && peer.subjectaltname ? { subjectAltName: peer.subjectaltname } : {}) };
}
