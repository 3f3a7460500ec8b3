/**
 * The Redis transport (issue #9): the multi-process, multi-machine form of runner/transport/types.ts.
 * See docs/distributed.md.
 */
export { RedisTransport, createRedisTransport, type RedisTransportOptions } from './transport.ts';
export {
  validateRedisTransportConfig, redactUrl, REDIS_TRANSPORT_DEFAULTS, REDIS_TRANSPORT_OPTIONS,
  type RedisTransportConfig, type RedisTlsOptions,
} from './config.ts';
export { RedisTrajectorySink, RedisTrajectorySource, type SinkStats, type SourceStats } from './trajectories.ts';
export { RedisWeightPublisher, RedisWeightSubscriber } from './weights.ts';
export { RedisAnnotationChannel, RedisAnnotationQueue, type AnnotationWork, type AnnotationChannelStats } from './annotations.ts';
export { DedupWindow, dedupField } from './dedup.ts';
export { redisKeys, type RedisKeys } from './keys.ts';
export type { RedisLog } from './connection.ts';
export { serveAnnotations, type AnnotatorServiceOptions, type AnnotatorServiceStats } from './annotator-service.ts';
export { splitRoleArgs, roleTransportConfig, ROLE_USAGE, type RoleArgs } from './cli.ts';
export { parseRoleCommand, connectRoleTransports, type RoleCommand } from './role-command.ts';
