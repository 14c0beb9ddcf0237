export type { DevUser, IssueTokenOptions } from './identity.ts';
export { DEV_USERS } from './identity.ts';
export type { LocalStack, LocalStackOptions } from './stack.ts';
export { DEFAULT_DATA_DIR, LOCAL_CDK_CONTEXT, localCdkContext, startLocalStack } from './stack.ts';
