import { describe, expect, it } from 'vitest';
import { clientCertRefusal, type PeerCertificate, subjectAltNames } from '../../../src/web/core/client-cert-policy.js';
import type { ClientAuthType } from '../../../src/web/core/web-config.js';

const none: PeerCertificate = { present: false, authorized: false };
const foreign: PeerCertificate = { present: true, authorized: false, subjectAltName: 'DNS:stranger.example' };
const trusted: PeerCertificate = { present: true, authorized: true, subjectAltName: 'DNS:prometheus.example, IP Address:10.0.0.9' };

describe('clientCertRefusal', () => {
  it.each<[ClientAuthType, PeerCertificate, boolean]>([
    ['NoClientCert', none, true],
    ['NoClientCert', foreign, true],
    ['RequestClientCert', none, true],
    ['RequestClientCert', foreign, true],
    ['RequireAnyClientCert', none, false],
    ['RequireAnyClientCert', foreign, true],
    ['VerifyClientCertIfGiven', none, true],
    ['VerifyClientCertIfGiven', foreign, false],
    ['VerifyClientCertIfGiven', trusted, true],
    ['RequireAndVerifyClientCert', none, false],
    ['RequireAndVerifyClientCert', foreign, false],
    ['RequireAndVerifyClientCert', trusted, true],
  ])('%s with %j: accepted=%s', (clientAuth, peer, accepted) => {
    const refusal = clientCertRefusal(peer, { clientAuth });
    expect(refusal === undefined).toBe(accepted);
  });

  it('client_allowed_sans: one SAN of the certificate must be listed (DNS, IP, e-mail or URI)', () => {
    expect(clientCertRefusal(trusted, { clientAuth: 'RequireAndVerifyClientCert', clientAllowedSans: ['10.0.0.9'] })).toBeUndefined();
    expect(clientCertRefusal(trusted, { clientAuth: 'RequireAndVerifyClientCert', clientAllowedSans: ['prometheus.example'] })).toBeUndefined();
    expect(clientCertRefusal(trusted, { clientAuth: 'RequireAndVerifyClientCert', clientAllowedSans: ['other.example'] })).toMatch(/match none of client_allowed_sans/);
    // Without a certificate (VerifyClientCertIfGiven) there are no SANs to check.
    expect(clientCertRefusal(none, { clientAuth: 'VerifyClientCertIfGiven', clientAllowedSans: ['other.example'] })).toBeUndefined();
  });

  it('says why', () => {
    expect(clientCertRefusal(none, { clientAuth: 'RequireAnyClientCert' })).toBe('no client certificate');
    expect(clientCertRefusal(foreign, { clientAuth: 'RequireAndVerifyClientCert' })).toBe('client certificate not signed by the client CA');
  });
});

describe('subjectAltNames', () => {
  it('strips the type prefixes Node writes', () => {
    expect(subjectAltNames('DNS:a.example, IP Address:127.0.0.1, email:x@y, URI:spiffe://p')).toEqual(['a.example', '127.0.0.1', 'x@y', 'spiffe://p']);
    expect(subjectAltNames(undefined)).toEqual([]);
  });
});
