/**
 * `@herald/realtime`: the WebSocket side of Herald. Lambda entry points are the subpath
 * exports `@herald/realtime/handlers/<name>`; this is the library surface around them.
 */
export {
  DynamoConnectionStore,
  type DynamoConnectionStoreOptions,
} from './adapters/dynamo-connection-store.ts';
export {
  HttpJwksFetcher,
  JwtTokenVerifier,
  type JwtTokenVerifierOptions,
} from './adapters/jwt-token-verifier.ts';
export {
  buildDeps,
  type DepsProvider,
  getDeps,
  type RealtimeDeps,
  resetDeps,
  systemClock,
} from './compose.ts';
export { isAllowedJwksUri, loadConfig, type RealtimeConfig } from './config.ts';
export { type AuthorizerPolicy, allowConnect } from './core/authorizer-policy.ts';
export {
  DEFAULT_CONNECTION_TTL_SECONDS,
  isConnectionLive,
  MIN_CONNECTION_TTL_SECONDS,
  newConnection,
} from './core/connection.ts';
export { type Credential, extractCredential } from './core/credentials.ts';
export { identityFromClaims, parseGroups } from './core/identity.ts';
export {
  chooseSubprotocol,
  HERALD_SUBPROTOCOL,
  parseSubprotocols,
  tokenFromSubprotocols,
} from './core/subprotocol.ts';
export {
  AuthenticationError,
  type AuthenticationFailure,
  ConfigError,
  ConnectionStoreError,
  IdentityProviderUnavailableError,
  RealtimeError,
} from './errors.ts';
export type * from './events.ts';
export { createJsonLogger } from './log.ts';
export type {
  Clock,
  ConnectionRecord,
  ConnectionStore,
  Identity,
  LogFields,
  Logger,
  LogLevel,
  TokenVerifier,
} from './ports.ts';
export * from './tables.ts';
