/**
 * runner/stream: live metrics for a run. MetricsHub (in-process pub/sub with bounded history) and
 * startStreamServer (dashboard page + read-only runs endpoints + ws stream). Protocol: ./protocol.ts,
 * described for people in docs/dashboard.md. Re-exported by runner/index.ts.
 */
export { MetricsHub, validateHubConfig, DEFAULT_HUB_CONFIG } from './hub.ts';
export type { HubConfig, HubMessage, HubListener, HubStats } from './hub.ts';
export { startStreamServer } from './server.ts';
export type { StreamServer } from './server.ts';
export { validateStreamServerOptions, DEFAULT_STREAM_SERVER_OPTIONS, STREAM_SERVER_OPTIONS } from './options.ts';
export type { StreamServerOptions } from './options.ts';
export type { StreamServerStats } from './registry.ts';
export { isLoopback } from './access.ts';
export { protocolModule } from './http.ts';
export {
  PROTOCOL_VERSION,
  CLOSE_CODES,
  TOPICS,
  WIRE_FORMATS,
  isTopic,
  toWire,
  encodeServerMessage,
  decodeServerMessage,
  parseClientMessage,
} from './protocol.ts';
export type { Topic, WireFormat, ServerMessage, ClientMessage, DataMessage, WelcomeMessage, DroppedMessage } from './protocol.ts';
export { listRuns, RUN_FILES, folderCatalog, listCatalog, isRunDir } from './runs.ts';
export { redactSecrets } from './secrets.ts';
export { connectStream } from './node-client.ts';
export type { ConnectStreamOptions, StreamConnection } from './node-client.ts';
export type { RunInfo, RunFile, RunCatalog } from './runs.ts';
