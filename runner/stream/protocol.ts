/**
 * The wire protocol of the live stream (documented for people in docs/dashboard.md; this file is the
 * source of truth). Versioned: every server message carries `v: PROTOCOL_VERSION`; a client that sees
 * a different major version should stop and say so.
 *
 * Two encodings of the same messages:
 *   - 'msgpack' (default): binary frames, MessagePack. Uint8Array fields (e.g. frame pixels) travel as
 *     MessagePack `bin`, so no base64 overhead.
 *   - 'json': text frames, for simple clients (a shell, a notebook). Uint8Array fields become
 *     `{ "$b64": "<base64>" }`.
 * In both, other typed arrays become plain arrays and non-finite numbers (NaN, ±Infinity) become null,
 * so every msgpack library and every JSON parser can read the stream.
 *
 * Client → server messages are small JSON objects (text frames) or the same in msgpack (binary frames).
 * The version, topics and message shapes live in ./messages.ts (shared with the dashboard); this file
 * adds what only Node needs: the encoders and the validation of client messages.
 */
import { Packr, Unpackr } from 'msgpackr';
import { TOPICS } from './messages.ts';
import type { ClientErrorCode, ClientMessage, ServerMessage, Topic, WireFormat } from './messages.ts';

export { PROTOCOL_VERSION, TOPICS, WIRE_FORMATS, CLIENT_ERROR_CODES, CLOSE_CODES } from './messages.ts';
export type {
  Topic, WireFormat, ClientErrorCode, WelcomeMessage, DataMessage, DroppedMessage, ErrorMessage, PongMessage, SubscribedMessage, ServerMessage, ClientMessage,
} from './messages.ts';

export function isTopic(x: unknown): x is Topic {
  return typeof x === 'string' && (TOPICS as readonly string[]).includes(x);
}

export class ClientMessageError extends Error {
  constructor(readonly code: ClientErrorCode, message: string) {
    super(message);
  }
}

const CLIENT_TYPES = ['subscribe', 'unsubscribe', 'ping'];
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** Decodes and validates one client frame. Throws ClientMessageError saying what is wrong and what is valid. */
export function parseClientMessage(raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ClientMessage {
  const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  let msg: unknown;
  try {
    msg = isBinary ? unpackr.unpack(buf) : JSON.parse(buf.toString('utf8'));
  } catch {
    throw new ClientMessageError('bad-encoding', `frame is not valid ${isBinary ? 'msgpack' : 'JSON'}`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new ClientMessageError('bad-message', 'a client message must be an object with a "type" field');
  }
  const m = msg as Record<string, unknown>;
  if (typeof m.type !== 'string' || !CLIENT_TYPES.includes(m.type)) {
    throw new ClientMessageError('bad-message', `unknown message type ${JSON.stringify(m.type)}; valid: ${CLIENT_TYPES.join(', ')}`);
  }
  const allowed = m.type === 'subscribe' ? ['type', 'topics', 'history'] : m.type === 'unsubscribe' ? ['type', 'topics'] : ['type', 'id'];
  for (const k of Object.keys(m)) {
    if (!allowed.includes(k)) throw new ClientMessageError('bad-message', `unknown key "${k}" in ${m.type}; valid: ${allowed.join(', ')}`);
  }
  if (m.type === 'ping') {
    if (m.id !== undefined && typeof m.id !== 'string' && typeof m.id !== 'number') {
      throw new ClientMessageError('bad-message', 'ping.id must be a string or a number');
    }
    if (typeof m.id === 'string' && m.id.length > 64) throw new ClientMessageError('bad-message', 'ping.id longer than 64 characters');
    return m.id === undefined ? { type: 'ping' } : { type: 'ping', id: m.id as string | number };
  }
  const topics = parseTopics(m.topics, `${m.type}.topics`);
  if (m.type === 'unsubscribe') return { type: 'unsubscribe', topics };
  if (m.history !== undefined && typeof m.history !== 'boolean') {
    throw new ClientMessageError('bad-message', 'subscribe.history must be true or false');
  }
  return m.history === undefined ? { type: 'subscribe', topics } : { type: 'subscribe', topics, history: m.history };
}

function parseTopics(x: unknown, where: string): Topic[] {
  if (x === '*') return [...TOPICS];
  if (!Array.isArray(x) || x.length === 0 || x.length > TOPICS.length * 2) {
    throw new ClientMessageError('bad-message', `${where} must be "*" or a non-empty array of: ${TOPICS.join(', ')}`);
  }
  const out = new Set<Topic>();
  for (const t of x) {
    if (!isTopic(t)) throw new ClientMessageError('bad-message', `${where}: unknown topic ${JSON.stringify(t)}; valid: ${TOPICS.join(', ')}`);
    out.add(t);
  }
  return [...out];
}

/** Parses the `topics` query parameter ("metrics,event" or "*"). Throws naming the bad topic. */
export function parseTopicList(s: string): Topic[] {
  if (s === '*' || s === 'all') return [...TOPICS];
  const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
  try {
    return parts.length === 0 ? [] : parseTopics(parts, 'topics');
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------------
// Encoding

const packr = new Packr({ useRecords: false, variableMapSize: true });

/**
 * A copy of `value` that both encodings carry the same way: Uint8Array kept (bytes), other typed
 * arrays to plain arrays, non-finite numbers to null, undefined/functions dropped, Maps to objects.
 * Depth-limited so a cyclic object cannot hang the server.
 */
export function toWire(value: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object') return undefined;
  if (value instanceof Uint8Array && !(value instanceof Buffer)) return value;
  if (value instanceof Buffer) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (n) => toWire(n, depth + 1));
  if (Array.isArray(value)) return value.map((v) => { const w = toWire(v, depth + 1); return w === undefined ? null : w; });
  if (value instanceof Date) return value.getTime();
  const src = value instanceof Map ? Object.fromEntries(value) : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const w = toWire(src[k], depth + 1);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

/** Encodes a server message (already passed through toWire) for one format. */
export function encodeServerMessage(msg: ServerMessage, format: WireFormat): Buffer | string {
  return format === 'msgpack' ? packr.pack(msg) : JSON.stringify(msg, jsonReplacer);
}

/** Decodes a server frame (for Node clients: scripts/tail.ts, tests, benchmarks). */
export function decodeServerMessage(raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ServerMessage {
  const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  if (isBinary) return unpackr.unpack(buf) as ServerMessage;
  return JSON.parse(buf.toString('utf8'), (_k, v) =>
    v && typeof v === 'object' && typeof v.$b64 === 'string' && Object.keys(v).length === 1 ? new Uint8Array(Buffer.from(v.$b64, 'base64')) : v,
  ) as ServerMessage;
}

export function byteLength(frame: Buffer | string): number {
  return typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
}
