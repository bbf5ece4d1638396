// `--web.config.file`: the web configuration file of Prometheus' exporter-toolkit (the same file
// node_exporter takes): TLS server settings, basic-auth users with bcrypt hashes, HTTP headers and
// an optional rate limit. Pure: text in, a resolved config or errors out; the files the config
// names (certificate, key, client CA) are read by src/web/io/tls.ts.
//
// Semantics follow exporter-toolkit (web/tls_config.go, web/handler.go):
// - unknown keys are errors (it unmarshals strictly); empty values (`key:`) mean "unset";
// - relative file paths are relative to the web config file's directory;
// - no certificate, key, client CA or client_auth_type at all means plain HTTP (basic auth still
//   applies); anything TLS-related set means TLS, and then both a certificate and a key are needed;
// - a client CA without a client_auth_type that uses it is an error;
// - min_version defaults to TLS12.
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { parseDurationMs } from '../../common/core/duration.js';
import { type ConfigError, parseYamlWithSchema } from '../../common/core/yaml-schema.js';

/** exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
export type NodeTlsVersion = (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];

/** Go's cipher suite names (the ones Go lets a config choose, TLS 1.0-1.2) -> OpenSSL names. */
const CIPHER_SUITES: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** Go's curve names -> OpenSSL group names. */
const CURVES: Record<string, string> = {
  CurveP256: 'prime256v1',
  CurveP384: 'secp384r1',
  CurveP521: 'secp521r1',
  X25519: 'X25519',
};

/** The headers exporter-toolkit lets an admin set, with their allowed values where it restricts them. */
const HEADER_RULES: Record<string, ((v: string) => string | undefined) | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': (v) => (v === 'nosniff' ? undefined : 'must be "nosniff"'),
  'X-Frame-Options': (v) => (/^(deny|sameorigin)$/i.test(v) ? undefined : 'must be "deny" or "sameorigin"'),
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A bcrypt hash as htpasswd -B, Python's bcrypt or Go's x/crypto/bcrypt write it. */
export const BCRYPT_HASH = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

// Go's YAML decoder turns `key:` (null) into the zero value; accept null everywhere a value is optional.
const optStr = z.string().nullish();
const optStrList = z.array(z.string()).nullish();

const TlsServerConfig = z.strictObject({
  cert: optStr,
  key: optStr,
  client_ca: optStr,
  cert_file: optStr,
  key_file: optStr,
  client_auth_type: z.preprocess((v) => (v === '' ? null : v), z.enum(CLIENT_AUTH_TYPES).nullish()),
  client_ca_file: optStr,
  cipher_suites: z
    .array(z.string().refine((s) => s in CIPHER_SUITES, { message: `unknown cipher suite; allowed: ${Object.keys(CIPHER_SUITES).join(', ')}` }))
    .nullish(),
  curve_preferences: z
    .array(z.string().refine((s) => s in CURVES, { message: `unknown curve; allowed: ${Object.keys(CURVES).join(', ')}` }))
    .nullish(),
  min_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).nullish(),
  max_version: z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS]).nullish(),
  prefer_server_cipher_suites: z.boolean().nullish(),
  client_allowed_sans: optStrList,
});

const HttpServerConfig = z.strictObject({
  /** Accepted for compatibility; this exporter serves HTTP/1.1 only. */
  http2: z.boolean().nullish(),
  headers: z.record(z.string(), z.string()).nullish(),
});

const RateLimit = z.strictObject({
  interval: z.string().nullish(),
  burst: z.number().int().min(0).nullish(),
});

export const WebConfigFile = z.strictObject({
  tls_server_config: TlsServerConfig.nullish(),
  http_server_config: HttpServerConfig.nullish(),
  basic_auth_users: z
    .record(
      z.string().min(1, 'user name must not be empty'),
      z.string().regex(BCRYPT_HASH, 'must be a bcrypt hash such as `htpasswd -nBC 10 "" | tr -d \':\\n\'` prints ($2y$10$...)'),
    )
    .nullish(),
  rate_limit: RateLimit.nullish(),
});
export type WebConfigFile = z.infer<typeof WebConfigFile>;

/** A value given inline or as a file to read (resolved against the web config's directory). */
export type Source = { inline: string } | { file: string };

export interface ResolvedTls {
  cert: Source;
  key: Source;
  clientCa?: Source;
  clientAuth: ClientAuthType;
  minVersion: NodeTlsVersion;
  maxVersion?: NodeTlsVersion;
  /** OpenSSL cipher list (TLS 1.2 and below), when the config restricts it. */
  ciphers?: string;
  /** OpenSSL group list, when the config restricts it. */
  ecdhCurve?: string;
  honorCipherOrder: boolean;
  /** A verified client certificate must carry one of these SANs (DNS, IP, e-mail or URI). */
  clientAllowedSans?: string[];
}

export interface WebConfig {
  /** Absent: plain HTTP. */
  tls?: ResolvedTls;
  /** user -> bcrypt hash; empty: no authentication. */
  users: Record<string, string>;
  headers: Record<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
}

export type WebConfigResult = { ok: true; config: WebConfig } | { ok: false; errors: ConfigError[] };

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : join(baseDir, p);
}

/** Semantic checks and resolution of a schema-valid file. Returns errors with YAML paths. */
export function resolveWebConfig(raw: WebConfigFile, file: string): WebConfigResult {
  const errors: ConfigError[] = [];
  const err = (path: string, message: string) => errors.push({ file, path, message });
  const baseDir = dirname(file);
  const out: WebConfig = { users: {}, headers: {} };

  const t = raw.tls_server_config ?? {};
  const anyTls = Boolean(t.cert || t.key || t.cert_file || t.key_file || t.client_ca || t.client_ca_file || t.client_auth_type);
  if (anyTls) {
    const pick = (inline: string | null | undefined, path: string | null | undefined, name: string, fileName: string): Source | undefined => {
      if (inline && path) err(`tls_server_config.${name}`, `at most one of ${name} and ${fileName} may be set`);
      else if (inline) return { inline };
      else if (path) return { file: resolvePath(baseDir, path) };
      return undefined;
    };
    const cert = pick(t.cert, t.cert_file, 'cert', 'cert_file');
    const key = pick(t.key, t.key_file, 'key', 'key_file');
    const clientCa = pick(t.client_ca, t.client_ca_file, 'client_ca', 'client_ca_file');
    if (!cert && !(t.cert && t.cert_file)) err('tls_server_config.cert_file', 'missing cert_file (or cert): TLS needs a server certificate');
    if (!key && !(t.key && t.key_file)) err('tls_server_config.key_file', 'missing key_file (or key): TLS needs the server key');
    const clientAuth: ClientAuthType = t.client_auth_type || 'NoClientCert';
    if (clientCa && clientAuth === 'NoClientCert') {
      err('tls_server_config.client_auth_type', 'a client CA is configured without a client_auth_type that uses it (e.g. RequireAndVerifyClientCert)');
    }
    if (t.client_allowed_sans?.length && !['RequireAndVerifyClientCert', 'VerifyClientCertIfGiven'].includes(clientAuth)) {
      err('tls_server_config.client_allowed_sans', 'needs client_auth_type RequireAndVerifyClientCert or VerifyClientCertIfGiven');
    }
    const minVersion = TLS_VERSIONS[t.min_version ?? 'TLS12'];
    const maxVersion = t.max_version ? TLS_VERSIONS[t.max_version] : undefined;
    if (t.min_version && t.max_version && t.min_version > t.max_version) {
      err('tls_server_config.max_version', `max_version ${t.max_version} is below min_version ${t.min_version}`);
    }
    if (cert && key) {
      out.tls = {
        cert,
        key,
        ...(clientCa ? { clientCa } : {}),
        clientAuth,
        minVersion,
        ...(maxVersion ? { maxVersion } : {}),
        ...(t.cipher_suites?.length ? { ciphers: t.cipher_suites.map((c) => CIPHER_SUITES[c]!).join(':') } : {}),
        ...(t.curve_preferences?.length ? { ecdhCurve: t.curve_preferences.map((c) => CURVES[c]!).join(':') } : {}),
        honorCipherOrder: t.prefer_server_cipher_suites ?? false,
        ...(t.client_allowed_sans?.length ? { clientAllowedSans: [...t.client_allowed_sans] } : {}),
      };
    }
  }

  for (const [name, value] of Object.entries(raw.http_server_config?.headers ?? {})) {
    const canonical = Object.keys(HEADER_RULES).find((h) => h.toLowerCase() === name.toLowerCase());
    if (!canonical) {
      err(`http_server_config.headers.${name}`, `HTTP header "${name}" can not be customized; allowed: ${Object.keys(HEADER_RULES).join(', ')}`);
      continue;
    }
    const problem = HEADER_RULES[canonical]?.(value);
    if (problem) err(`http_server_config.headers.${name}`, problem);
    else out.headers[canonical] = value;
  }

  for (const [user, hash] of Object.entries(raw.basic_auth_users ?? {})) out.users[user] = hash;

  if (raw.rate_limit && (raw.rate_limit.interval || raw.rate_limit.burst)) {
    const intervalMs = raw.rate_limit.interval ? parseDurationMs(raw.rate_limit.interval) : 0;
    if (intervalMs === undefined) err('rate_limit.interval', `must be a duration such as 100ms or 1s, got "${raw.rate_limit.interval}"`);
    else if (intervalMs > 0) out.rateLimit = { intervalMs, burst: Math.max(1, raw.rate_limit.burst ?? 1) };
  }

  return errors.length ? { ok: false, errors } : { ok: true, config: out };
}

/** Web config file text -> resolved config, or errors naming the file, line and YAML path. */
export function parseWebConfigText(text: string, file: string): WebConfigResult {
  const parsed = parseYamlWithSchema(text, file, WebConfigFile);
  if (!parsed.ok) return parsed;
  const { lineOf } = parsed;
  const resolved = resolveWebConfig(parsed.data, file);
  if (!resolved.ok) {
    for (const e of resolved.errors) e.line = lineOf(e.path.split('.'));
  }
  return resolved;
}
