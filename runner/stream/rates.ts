/**
 * The stream server's token buckets: new connections per second (admission.ts) and history replayed per
 * second over all clients (client.ts's ReplayBudget). Client messages per second are counted on each
 * ClientChannel (session.ts), since that bucket is per client.
 */
import type { ReplayBudget } from './client.ts';

/**
 * Two token buckets, messages and bytes per second, each with a one-second burst. A message is allowed
 * while both have tokens left, and may take the byte bucket into debt (a frame larger than a second's
 * bytes still goes, and the debt is waited out).
 */
export function replayRate(messagesPerSecond: number, bytesPerSecond: number): ReplayBudget {
  let messages = messagesPerSecond;
  let bytes = bytesPerSecond;
  let at = Date.now();
  const refill = () => {
    const now = Date.now();
    const dt = (now - at) / 1000;
    messages = Math.min(messagesPerSecond, messages + dt * messagesPerSecond);
    bytes = Math.min(bytesPerSecond, bytes + dt * bytesPerSecond);
    at = now;
  };
  return {
    take(n) {
      refill();
      if (messages < 1 || bytes <= 0) return false;
      messages -= 1;
      bytes -= n;
      return true;
    },
    waitMs() {
      refill();
      const m = messages >= 1 ? 0 : ((1 - messages) / messagesPerSecond) * 1000;
      const b = bytes > 0 ? 0 : (-bytes / bytesPerSecond) * 1000;
      return Math.ceil(Math.max(m, b)) + 1;
    },
  };
}

/** New connections: a token bucket of `perSecond`, burst 2×. The function takes one token, or says there is none. */
export function connectionRate(perSecond: number): () => boolean {
  let tokens = 2 * perSecond;
  let at = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(2 * perSecond, tokens + ((now - at) / 1000) * perSecond);
    at = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
