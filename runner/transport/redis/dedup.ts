/**
 * Recognising a trajectory delivered twice (at-least-once delivery: an actor's XADD re-sent after a
 * dropped connection, an entry reclaimed from a consumer that was slow rather than dead).
 *
 * Every message carries (actor id, incarnation, seq): the incarnation is a per-actor-id counter in Redis
 * bumped each time an actor process starts, seq counts that incarnation's messages from 0. The source
 * hands each message out under the id `<actor>/<incarnation>#<seq>` (messageId), so two incarnations of
 * one actor id can never be taken for each other, whatever ids the actors chose. Acknowledged
 * seqs are remembered as a contiguous high-water mark plus the set of seqs acknowledged above it (out of
 * order); memory is bounded by `window`: past it, the oldest out-of-order seqs are folded into the mark.
 *
 * The same rule runs in Lua on ack (ACK_SCRIPT) so the memory lives in Redis and survives a learner
 * restart; this class is its TypeScript twin, used by tests to pin the rule down.
 */

/** The hash field naming one actor incarnation. */
export function dedupField(actorId: string, incarnation: number): string {
  return `${actorId}/${incarnation}`;
}

/** The id a source hands a message out under: one per (actor, incarnation, seq), equal for copies of it. */
export function messageId(field: string, seq: number): string {
  return `${field}#${seq}`;
}

export class DedupWindow {
  private readonly marks = new Map<string, { hwm: number; above: Set<number> }>();
  constructor(private readonly window: number) {}

  seen(field: string, seq: number): boolean {
    const m = this.marks.get(field);
    return m !== undefined && (seq <= m.hwm || m.above.has(seq));
  }

  mark(field: string, seq: number): void {
    let m = this.marks.get(field);
    if (!m) this.marks.set(field, (m = { hwm: -1, above: new Set() }));
    if (seq <= m.hwm) return;
    m.above.add(seq);
    while (m.above.delete(m.hwm + 1)) m.hwm++;
    while (m.above.size > this.window) {
      const lowest = Math.min(...m.above);
      m.above.delete(lowest);
      m.hwm = lowest;
      while (m.above.delete(m.hwm + 1)) m.hwm++;
    }
  }

  state(field: string): { hwm: number; above: number[] } {
    const m = this.marks.get(field);
    return { hwm: m?.hwm ?? -1, above: m ? [...m.above].sort((a, b) => a - b) : [] };
  }
}

/**
 * Acknowledges trajectory entries: XACK + XDEL (trimming: the stream then holds only unacknowledged
 * messages, which makes XLEN the queue depth), records their seqs exactly as DedupWindow.mark, releases
 * their flow-control credits (./flow.ts), and publishes on the acked channel so actors waiting for space
 * or a credit retry at once.
 *   KEYS: stream, hwm hash, credits zset, credit leases zset, then one `above` zset per entry
 *   ARGV: group, window, acked channel, then (streamId, field, seq, credit id or '') per entry
 */
export const ACK_SCRIPT = `
local stream, hwmKey = KEYS[1], KEYS[2]
local group, window, channel = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local n = 0
for i = 0, (#ARGV - 3) / 4 - 1 do
  local sid, field, seq, credit = ARGV[4 + 4 * i], ARGV[5 + 4 * i], tonumber(ARGV[6 + 4 * i]), ARGV[7 + 4 * i]
  local aboveKey = KEYS[5 + i]
  n = n + redis.call('XACK', stream, group, sid)
  redis.call('XDEL', stream, sid)
  if credit ~= '' then
    redis.call('ZREM', KEYS[3], credit)
    redis.call('ZREM', KEYS[4], credit)
  end
  local hwm = tonumber(redis.call('HGET', hwmKey, field) or '-1')
  if seq > hwm then
    redis.call('ZADD', aboveKey, seq, seq)
    while redis.call('ZSCORE', aboveKey, hwm + 1) do
      redis.call('ZREM', aboveKey, hwm + 1)
      hwm = hwm + 1
    end
    while redis.call('ZCARD', aboveKey) > window do
      local lowest = tonumber(redis.call('ZPOPMIN', aboveKey)[1])
      hwm = lowest
      while redis.call('ZSCORE', aboveKey, hwm + 1) do
        redis.call('ZREM', aboveKey, hwm + 1)
        hwm = hwm + 1
      end
    end
    redis.call('HSET', hwmKey, field, hwm)
  end
end
redis.call('PUBLISH', channel, n)
return n
`;
