/**
 * The publish path: every hub message becomes one frame per wire format (encoded once however many
 * clients get it, config without secrets), appended to the queue of each client subscribed to its topic.
 * The same frames serve history replay (the ReplaySource handed to each ClientChannel).
 */
import type { ReplaySource } from './client.ts';
import type { HubMessage, MetricsHub } from './hub.ts';
import { PROTOCOL_VERSION, encodeServerMessage, toWire } from './protocol.ts';
import type { WireFormat } from './protocol.ts';
import type { ClientRegistry } from './registry.ts';
import { redactSecrets } from './secrets.ts';

export type FrameOf = (msg: HubMessage, format: WireFormat) => Buffer | string;

/** A hub message's frame in one format, encoded on first use and kept as long as the message is. */
export function frameCache(): FrameOf {
  const encoded = new WeakMap<HubMessage, Partial<Record<WireFormat, Buffer | string>>>();
  return (msg, format) => {
    let e = encoded.get(msg);
    if (!e) encoded.set(msg, (e = {}));
    let f = e[format];
    if (f === undefined) {
      // A config can carry a token; whatever the publisher did, it does not go over the stream.
      const data = msg.topic === 'config' ? redactSecrets(msg.data) : msg.data;
      f = encodeServerMessage({ v: PROTOCOL_VERSION, type: 'data', topic: msg.topic, seq: msg.seq, time: msg.time, data: toWire(data) }, format);
      e[format] = f;
    }
    return f;
  };
}

/** History for replay: the hub's kept messages, framed by the same cache as live ones. */
export function replaySource(hub: MetricsHub, frameOf: FrameOf): ReplaySource {
  return { kept: (t) => hub.kept(t), at: (t, seq) => hub.at(t, seq), frame: frameOf };
}

/** Subscribes to all the hub's topics and queues each message for its subscribers; returns the unsubscribe. */
export function broadcast(hub: MetricsHub, clients: ClientRegistry, frameOf: FrameOf): () => void {
  return hub.subscribe('*', (msg) => {
    for (const c of clients) if (c.topics.has(msg.topic)) c.enqueue(frameOf(msg, c.format));
    clients.shedIfOver();
  });
}
