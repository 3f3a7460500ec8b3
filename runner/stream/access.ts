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
