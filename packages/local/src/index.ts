export { startLocalStack, BUCKETS, DEFAULT_DATA_DIR } from './stack.ts';
export type { LocalStack, LocalStackOptions } from './stack.ts';
export { DEV_USERS } from './identity.ts';
export type { DevUser, IssueTokenOptions } from './identity.ts';
