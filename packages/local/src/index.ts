export type { DevUser, IssueTokenOptions } from './identity.ts';
export { DEV_USERS } from './identity.ts';
export type { LocalStack, LocalStackOptions } from './stack.ts';
export { BUCKETS, DEFAULT_DATA_DIR, startLocalStack } from './stack.ts';
