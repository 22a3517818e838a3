/**
 * PostgreSQL connection URLs: recognizing one, naming it without its password, and turning it into
 * node-postgres's configuration with libpq's meaning of its options.
 */
import type { ClientConfig } from 'pg';
import { parse, toClientConfig, type ConnectionOptions } from 'pg-connection-string';

/** postgresql://… or postgres://… (libpq's two URI schemes). */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(s);
}

/** Query parameters that carry secrets (libpq's password, sslpassword). */
const SECRET_PARAM = /^(?:ssl)?password$/i;

/**
 * A URL whose user or password holds a raw '@', '/', '?' or '#': where its host begins is
 * ambiguous, and so is what is secret. Such a URL is refused, and never echoed.
 */
export function ambiguousUrl(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is.exec(url);
  return m !== null && ((m[1].match(/@/g)?.length ?? 0) > 1 || m[2].includes('@'));
}

/** The URL with its password (in the user part or a query parameter) replaced by ***: for every message. */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  if (ambiguousUrl(url)) return `${scheme}*** (percent-encode '@', '/', '?' and '#' in the user and password: %40 %2F %3F %23)`;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.set(k, '***');
    // URLSearchParams writes *** as %2A%2A%2A
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    // what WHATWG URL refuses (postgresql://user:pw@/db?host=/socket): hide the same parts by pattern
    return url.replace(/^([a-z]+:\/\/[^/:@?#]*):[^@/?#]*@/i, '$1:***@').replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
  }
}

/** The passwords a URL carries, decoded and as written, to be scrubbed from any message. */
export function urlSecrets(url: string): string[] {
  const written: string[] = [];
  const user = /^[a-z]+:\/\/[^/:@?#]*:([^@/?#]*)@/i.exec(url);
  if (user) written.push(user[1]);
  for (const m of url.matchAll(/[?&](?:ssl)?password=([^&#]*)/gi)) written.push(m[1]);
  const out = new Set<string>();
  for (const w of written.filter((x) => x.length > 0)) {
    out.add(w);
    try {
      out.add(decodeURIComponent(w));
    } catch {
      // not percent-encoded
    }
  }
  return [...out];
}

/** Milliseconds to wait for a connection when the URL gives no connect_timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * node-postgres's client configuration for a URL. Every option pg-connection-string knows passes
 * through (sslmode, sslrootcert, sslcert, sslkey, application_name, options, host=/socket/dir,
 * statement_timeout, …), with libpq's semantics for sslmode unless the URL chooses otherwise
 * (uselibpqcompat); connect_timeout (seconds) and keepalives / keepalives_idle, which pg reads only
 * as client options, are mapped to them. Throws on a malformed URL (the caller redacts).
 */
export function pgClientConfig(url: string): ClientConfig {
  const explicitCompat = /[?&]uselibpqcompat=/i.test(url);
  const parsed = parse(url, explicitCompat ? {} : { useLibpqCompat: true });
  const { connect_timeout, keepalives, keepalives_idle, ...rest } = parsed as ConnectionOptions & Record<string, unknown>;
  const config = toClientConfig(rest as ConnectionOptions);
  const seconds = (v: unknown, name: string): number | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number of seconds, got '${String(v)}'`);
    return n;
  };
  const timeout = seconds(connect_timeout, 'connect_timeout');
  // libpq: connect_timeout 0 (or none) waits forever; nnsearch waits 10 s unless told
  config.connectionTimeoutMillis = timeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : timeout * 1000;
  config.keepAlive = String(keepalives ?? '1') !== '0';
  const idle = seconds(keepalives_idle, 'keepalives_idle');
  if (idle !== undefined) config.keepAliveInitialDelayMillis = idle * 1000;
  if (!config.application_name && !(config as { fallback_application_name?: string }).fallback_application_name) {
    (config as { fallback_application_name?: string }).fallback_application_name = 'nnsearch';
  }
  return config;
}
