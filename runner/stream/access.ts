/**
 * Who may read a run's stream: the rules the stream server enforces and the experiment config checks
 * before a run starts (runner/config.ts), declared once here.
 *   - A non-loopback `host` needs a token: the stream would otherwise be readable from other machines.
 *   - A token is at least MIN_TOKEN_LENGTH printable ASCII characters without spaces (16 characters of
 *     `openssl rand -hex 16` output carry 64 bits, beyond online guessing at the server's rate limits).
 */

export const MIN_TOKEN_LENGTH = 16;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** What is wrong with a host/token pair (and which of the two to fix), or null when it is acceptable. */
export function accessProblem(host: string, token: string | null | undefined): { key: 'host' | 'token'; message: string } | null {
  if (token !== undefined && token !== null && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token))) {
    return { key: 'token', message: `token must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces (e.g. from \`openssl rand -hex 16\`), got ${typeof token === 'string' ? `${token.length} characters` : typeof token}` };
  }
  if (!isLoopback(host) && (token === undefined || token === null)) {
    return { key: 'host', message: `host "${host}" is not loopback, so the stream would be readable from other machines; pass a token (at least ${MIN_TOKEN_LENGTH} characters, e.g. from \`openssl rand -hex 16\`) or bind 127.0.0.1` };
  }
  return null;
}

/**
 * The host name of a `Host` header ("127.0.0.1:8080", "[::1]:8080", "localhost") without its port,
 * lowercased; undefined when the header is missing or malformed.
 */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`http://${header}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Without a token, the server answers only requests addressed to a loopback name: the `Host` header is
 * 127.x.x.x, localhost or [::1] (any port). DNS rebinding points a web site's own name (evil.example)
 * at 127.0.0.1, so the browser's requests reach this server as same-origin ones — but they still say
 * `Host: evil.example:PORT`, and are refused here.
 */
export function loopbackHost(header: string | undefined): boolean {
  const h = hostName(header);
  return h !== undefined && isLoopback(h);
}

/**
 * Without a token, a browser WebSocket (it always sends `Origin`) is accepted only from a page on a
 * loopback name: this server's own page or another run's dashboard on this machine. 'null' (sandboxed
 * frames, file: pages) and every other origin are refused; a client without `Origin` is not a browser.
 */
export function loopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  return isLoopback(u.hostname.replace(/^\[|\]$/g, '').toLowerCase());
}
