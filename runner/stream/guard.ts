/**
 * Per-request checks of the stream server (the rules themselves are in access.ts): the token for /api
 * and /ws, and, without a token, the loopback `Host` (DNS rebinding) and loopback `Origin` (browser ws).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { loopbackHost, loopbackOrigin } from './access.ts';

export const HOST_REFUSAL = 'without a token this server answers only requests to 127.0.0.1, localhost or [::1] (the Host header); start the run with a token to reach it by another name';
export const ORIGIN_REFUSAL = 'without a token, browser stream connections are accepted only from pages on 127.0.0.1, localhost or [::1]';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class RequestGuard {
  private readonly tokenDigest: Buffer | undefined;

  /** `refusedHost` is counted on `totals` (the server's stats). */
  constructor(token: string | null, private readonly totals: { refusedHost: number }) {
    this.tokenDigest = token === null ? undefined : digest(token);
  }

  /** No token set, or the request carries it (query `token=` or `Authorization: Bearer`). */
  authorized(req: IncomingMessage, url: URL): boolean {
    if (!this.tokenDigest) return true;
    const h = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (h?.startsWith('Bearer ') ? h.slice(7) : undefined);
    return given !== undefined && timingSafeEqual(digest(given), this.tokenDigest);
  }

  /** Without a token, only requests addressed to a loopback name (access.ts: DNS rebinding). */
  addressedHere(req: IncomingMessage): boolean {
    if (this.tokenDigest || loopbackHost(req.headers.host)) return true;
    this.totals.refusedHost++;
    return false;
  }

  /** Without a token, a browser ws connection only from a page on a loopback name (access.ts). */
  originAllowed(req: IncomingMessage): boolean {
    return this.tokenDigest !== undefined || loopbackOrigin(req.headers.origin);
  }
}
