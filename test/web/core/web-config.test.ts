import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../../src/common/core/config-text.js';
import { parseWebConfigText, type WebConfigResult } from '../../../src/web/core/web-config.js';

const FILE = '/etc/multipath-exporter/web.yml';
const HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

function ok(text: string, file = FILE) {
  const r = parseWebConfigText(text, file);
  if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
  return r.config;
}
function errors(r: WebConfigResult): string[] {
  return r.ok ? [] : r.errors.map(formatConfigError);
}

describe('web config (exporter-toolkit format)', () => {
  it('an empty file means plain HTTP without authentication', () => {
    expect(ok('')).toEqual({ users: {}, headers: {} });
    expect(ok('tls_server_config:\nbasic_auth_users:\n')).toEqual({ users: {}, headers: {} });
  });

  it('reads the node_exporter example: TLS files relative to the config directory, bcrypt users', () => {
    const c = ok(`
tls_server_config:
  cert_file: node.crt
  key_file: /abs/node.key
basic_auth_users:
  prometheus: ${HASH}
`);
    expect(c.tls).toEqual({
      cert: { file: '/etc/multipath-exporter/node.crt' },
      key: { file: '/abs/node.key' },
      clientAuth: 'NoClientCert',
      minVersion: 'TLSv1.2',
      honorCipherOrder: false,
    });
    expect(c.users).toEqual({ prometheus: HASH });
  });

  it('maps client auth, versions, cipher suites and curves to Node/OpenSSL names', () => {
    const c = ok(`
tls_server_config:
  cert: "-----BEGIN CERTIFICATE-----"
  key: "-----BEGIN PRIVATE KEY-----"
  client_ca_file: ../ca/ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: true
  client_allowed_sans: [prometheus.example]
`);
    expect(c.tls).toEqual({
      cert: { inline: '-----BEGIN CERTIFICATE-----' },
      key: { inline: '-----BEGIN PRIVATE KEY-----' },
      clientCa: { file: '/etc/ca/ca.crt' },
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305',
      ecdhCurve: 'X25519:prime256v1',
      honorCipherOrder: true,
      clientAllowedSans: ['prometheus.example'],
    });
  });

  it('accepts the allowed headers (any case) and a rate limit', () => {
    const c = ok(`
http_server_config:
  http2: false
  headers:
    x-frame-options: DENY
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
rate_limit: { interval: 1m30s, burst: 5 }
`);
    expect(c.headers).toEqual({ 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Strict-Transport-Security': 'max-age=31536000' });
    expect(c.rateLimit).toEqual({ intervalMs: 90_000, burst: 5 });
  });

  it.each([
    ['100ms', 100],
    ['1.5s', 1500],
    ['2h', 7_200_000],
  ])('reads the rate_limit interval %s as %d ms (the project duration notation)', (interval, ms) => {
    expect(ok(`rate_limit: { interval: ${interval}, burst: 1 }\n`).rateLimit).toEqual({ intervalMs: ms, burst: 1 });
  });

  it.each([
    ['unknown top-level key', 'tls_config:\n  cert_file: a\n', /line 1: .*unknown key\(s\) "tls_config"/],
    ['unknown TLS key', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n', /line 4: tls_server_config: unknown key\(s\) "certfile"/],
    ['key without certificate', 'tls_server_config:\n  key_file: b\n', /tls_server_config.cert_file: missing cert_file/],
    ['certificate without key', 'tls_server_config:\n  cert_file: a\n', /tls_server_config.key_file: missing key_file/],
    ['cert and cert_file', 'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n', /at most one of cert and cert_file/],
    ['client CA without auth type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n', /client CA is configured without a client_auth_type/],
    ['bad auth type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n', /line 4: tls_server_config.client_auth_type: must be one of NoClientCert/],
    ['bad version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS1.2\n', /min_version: must be one of TLS10, TLS11, TLS12, TLS13/],
    ['max below min', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', /max_version TLS12 is below min_version TLS13/],
    ['bad cipher', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [RC4]\n', /cipher_suites\[0\]: unknown cipher suite/],
    ['SANs without verification', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n', /client_allowed_sans: needs client_auth_type/],
    ['plain-text password', 'basic_auth_users:\n  prometheus: secret\n', /line 2: basic_auth_users.prometheus: must be a bcrypt hash/],
    ['custom header not allowed', 'http_server_config:\n  headers:\n    Server: x\n', /HTTP header "Server" can not be customized/],
    ['bad header value', 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n', /must be "deny" or "sameorigin"/],
    ['bad rate interval', 'rate_limit:\n  interval: soon\n  burst: 2\n', /rate_limit.interval: must be a duration/],
    ['YAML syntax', 'basic_auth_users: [\n', /YAML syntax/],
    ['duplicate key', 'basic_auth_users:\n  a: x\n  a: y\n', /YAML syntax/],
  ])('rejects %s, naming file, line and path', (_name, text, pattern) => {
    const errs = errors(parseWebConfigText(text, FILE));
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.join('\n')).toMatch(pattern);
    for (const e of errs) expect(e.startsWith(`${FILE}: `)).toBe(true);
  });

  it('accepts every bcrypt variant htpasswd, Python and Go write ($2a$, $2b$, $2y$)', () => {
    const body = HASH.slice(4);
    for (const v of ['$2a', '$2b', '$2y']) expect(ok(`basic_auth_users:\n  u: '${v}$${body}'\n`).users.u).toBe(`${v}$${body}`);
    expect(errors(parseWebConfigText(`basic_auth_users:\n  u: '$2y$10$short'\n`, FILE))).toHaveLength(1);
  });
});
