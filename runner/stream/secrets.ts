/**
 * Secrets never go into run directories or over the stream. A run's config is written to config.json
 * (runner/experiment.ts redacts before RunDir.writeConfig), published on the 'config' topic and served by /api/runs/NAME/config to later
 * runs' dashboards; all three pass through redactSecrets, and the stream server applies it again to what
 * it sends and serves (so a run directory written before this rule still does not leak its token).
 *
 * What counts as a secret:
 *   - a value under a key named token, password, passphrase, secret, apiKey / api_key (any depth,
 *     any case) — e.g. `server.token`;
 *   - the password of a URL (`redis://:PASSWORD@host`), wherever a string holds one.
 * A secret value becomes null, not a placeholder string: `--resume` reads config.json back, and null
 * means "no token" (the loopback default; a non-loopback host then asks for `--token` again) where a
 * literal "[redacted]" would silently become the token. A URL keeps everything but its password.
 */

const SECRET_KEY = /^(token|password|passphrase|secret|api[-_]?key)$/i;

/** A deep copy of `value` with secrets removed (see above). Never mutates its argument. */
export function redactSecrets<T>(value: T): T {
  return redact(value, 0) as T;
}

function redact(value: unknown, depth: number): unknown {
  if (depth > 64) return null;
  if (typeof value === 'string') return redactUrlPassword(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined ? null : redact(v, depth + 1);
  }
  return out;
}

/** `scheme://user:PASSWORD@host…` → `scheme://user@host…`; other strings unchanged. */
function redactUrlPassword(s: string): string {
  if (!s.includes('@') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return s;
  try {
    const u = new URL(s);
    if (!u.password) return s;
    u.password = '';
    return u.href;
  } catch {
    return s;
  }
}
