/**
 * The stream protocol's vocabulary: its version, topics, formats and the shapes of its messages. No
 * imports and only JSON values, because this file has two readers:
 *   - the Node side (protocol.ts re-exports it, with the encoders and the client-message parser);
 *   - the dashboard: the server serves every value exported here as the ES module `/protocol.js`
 *     (server.ts, protocolModule), and the dashboard's type check maps `/protocol.js` to this file
 *     (runner/dashboard/tsconfig.json), so the page never restates a version or a topic name.
 * Every value export must be JSON (a number, string, array or plain object): protocolModule serialises
 * them with JSON.stringify.
 */

/** Bumped on any change a deployed client could misread. Every server message carries it as `v`. */
export const PROTOCOL_VERSION = 1;

/** What a run streams. See MetricsHub (hub.ts) for the shape of each. */
export type Topic = 'metrics' | 'episode' | 'annotator' | 'event' | 'config';
export const TOPICS: readonly Topic[] = ['metrics', 'episode', 'annotator', 'event', 'config'];
export type WireFormat = 'msgpack' | 'json';
export const WIRE_FORMATS: readonly WireFormat[] = ['msgpack', 'json'];

export type ClientErrorCode = 'bad-encoding' | 'bad-message' | 'rate-limited';
export const CLIENT_ERROR_CODES: readonly ClientErrorCode[] = ['bad-encoding', 'bad-message', 'rate-limited'];

/**
 * Close codes the server uses besides the standard ones (1001 run ended, 1008 too many bad messages,
 * 1009 frame too large). 4000–4999 are the application's range (RFC 6455 §7.4.2).
 */
export const CLOSE_CODES = {
  /** Displaced: the server was full and this client had neither sent nor taken anything for a while. */
  idleEvicted: 4001,
} as const;

// ---------------------------------------------------------------------------------------------------
// Server → client

/** First message on every connection. */
export interface WelcomeMessage {
  v: number;
  type: 'welcome';
  runName: string | null;
  /** false: the server has no live run (`npm run view`): only runs on disk. */
  live: boolean;
  topics: readonly Topic[];
  /** Topics this connection is already subscribed to (from the `topics` query parameter). */
  subscribed: Topic[];
  format: WireFormat;
  serverTime: number;
  limits: { maxMessageBytes: number; maxQueueMessages: number; maxQueueBytes: number; clientMessagesPerSecond: number; idleMs: number };
}

/** One publication on a topic. `seq` is per topic, increasing by 1 per publish (gaps mean drops). */
export interface DataMessage {
  v: number;
  type: 'data';
  topic: Topic;
  seq: number;
  /** ms since epoch, when published. */
  time: number;
  data: unknown;
}

/** Sent before the next data message after the server had to drop messages for this (slow) client. */
export interface DroppedMessage { v: number; type: 'dropped'; count: number; total: number }
export interface ErrorMessage { v: number; type: 'error'; code: ClientErrorCode; message: string }
export interface PongMessage { v: number; type: 'pong'; id?: string | number; serverTime: number }
/**
 * Acknowledges a subscribe/unsubscribe with the resulting subscription set. Sent after the history
 * replay of the newly subscribed topics, so data before it on those topics was history.
 */
export interface SubscribedMessage { v: number; type: 'subscribed'; topics: Topic[] }

export type ServerMessage = WelcomeMessage | DataMessage | DroppedMessage | ErrorMessage | PongMessage | SubscribedMessage;

// ---------------------------------------------------------------------------------------------------
// Client → server

export type ClientMessage =
  /** Start receiving topics; `history` (default true) first replays what the hub kept of them. */
  | { type: 'subscribe'; topics: Topic[]; history?: boolean }
  | { type: 'unsubscribe'; topics: Topic[] }
  | { type: 'ping'; id?: string | number };
