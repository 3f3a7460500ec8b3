/**
 * Reading a Redis Stream through a consumer group with at-least-once delivery, shared by the trajectory
 * source, the annotator's request queue and the label reader. Order of sources on each read:
 *   1. this consumer's own pending history (entries delivered to the same consumer name before a restart
 *      and never acknowledged) — read once, at start;
 *   2. entries another consumer left pending longer than `claimIdleMs` (XAUTOCLAIM; a dead consumer's work);
 *   3. new entries (XREADGROUP '>'), blocking on a dedicated connection when nothing else is there.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface StreamEntry {
  streamId: string;
  fields: Map<string, Buffer>;
}

function parseEntries(raw: unknown): StreamEntry[] {
  const out: StreamEntry[] = [];
  if (!Array.isArray(raw)) return out;
  for (const item of raw) {
    if (!Array.isArray(item) || item.length < 2) continue;
    const [id, flat] = item as [Buffer, Buffer[] | null];
    // A null field list is an entry deleted after delivery (Redis < 7 reports those this way).
    if (!Array.isArray(flat)) continue;
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i].toString(), flat[i + 1]);
    out.push({ streamId: id.toString(), fields });
  }
  return out;
}

/** Unwraps an XREADGROUP reply for one stream: [[key, entries]] or null. */
function readReply(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  const first = raw[0] as [Buffer, unknown];
  return parseEntries(first[1]);
}

/** Runs a Lua script by SHA, loading it on NOSCRIPT (after a Redis restart the script cache is empty). */
export class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export class GroupReader {
  private groupReady: Promise<void> | null = null;
  private historyCursor: string | null = '0';
  private claimCursor = '0-0';
  private lastClaimSweep = 0;
  /** Entries taken over from other consumers, for stats. */
  reclaimed = 0;

  constructor(
    private readonly cmd: Redis,
    private readonly blocking: () => Promise<Redis>,
    readonly stream: string,
    readonly group: string,
    readonly consumer: string,
    private readonly claimIdleMs: number,
  ) {}

  ensureGroup(): Promise<void> {
    this.groupReady ??= this.cmd.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM').then(
      () => undefined,
      (e: Error) => {
        if (!e.message.includes('BUSYGROUP')) {
          this.groupReady = null;
          throw e;
        }
      },
    );
    return this.groupReady;
  }

  /**
   * Up to `max` entries; blocks up to `timeoutMs` only when nothing is pending or claimable.
   * `skip(streamId)` filters entries this consumer already holds (XAUTOCLAIM may hand back our own).
   */
  async read(max: number, timeoutMs: number, skip: (streamId: string) => boolean): Promise<StreamEntry[]> {
    try {
      return await this.readOnce(max, timeoutMs, skip);
    } catch (e) {
      // The stream or group vanished (a Redis restarted without persistence, a purge): recreate, read again.
      if (!String((e as Error).message).includes('NOGROUP')) throw e;
      this.groupReady = null;
      this.claimCursor = '0-0';
      return this.readOnce(max, timeoutMs, skip);
    }
  }

  private async readOnce(max: number, timeoutMs: number, skip: (streamId: string) => boolean): Promise<StreamEntry[]> {
    await this.ensureGroup();
    const out: StreamEntry[] = [];
    if (this.historyCursor !== null) {
      const raw = await this.cmd.callBuffer('XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', max, 'STREAMS', this.stream, this.historyCursor);
      const listed = Array.isArray(raw) && raw.length > 0 ? ((raw[0] as [Buffer, unknown[]])[1] ?? []) : [];
      if (listed.length === 0) this.historyCursor = null;
      else {
        this.historyCursor = (listed[listed.length - 1] as [Buffer])[0].toString();
        const gone = (listed as [Buffer, unknown][]).filter((e) => !Array.isArray(e[1])).map((e) => e[0].toString());
        if (gone.length > 0) await this.cmd.xack(this.stream, this.group, ...gone);
        for (const e of readReply(raw)) if (!skip(e.streamId)) out.push(e);
      }
      if (out.length > 0) return out;
    }
    const now = Date.now();
    if (this.claimCursor !== '0-0' || now - this.lastClaimSweep >= this.claimIdleMs / 2) {
      const raw = (await this.cmd.callBuffer('XAUTOCLAIM', this.stream, this.group, this.consumer, this.claimIdleMs, this.claimCursor, 'COUNT', max)) as [Buffer, unknown, unknown?];
      this.claimCursor = raw[0].toString();
      if (this.claimCursor === '0-0') this.lastClaimSweep = now;
      for (const e of parseEntries(raw[1])) {
        if (skip(e.streamId)) continue;
        out.push(e);
        this.reclaimed++;
      }
    }
    if (out.length >= max) return out;
    const block = out.length === 0 && timeoutMs > 0;
    const conn = block ? await this.blocking() : this.cmd;
    const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', max - out.length];
    if (block) args.push('BLOCK', Math.max(1, Math.round(timeoutMs)));
    args.push('STREAMS', this.stream, '>');
    const raw = await conn.callBuffer('XREADGROUP', ...args);
    out.push(...readReply(raw));
    return out;
  }
}
