/** `@herald/client-sdk/react`: a provider and hooks over the Herald client. */
export { type UseUploadResult, useConnectionState, useJob, useUpload } from './hooks.ts';
export { HeraldProvider, type HeraldProviderProps, useHeraldClient } from './provider.tsx';
export {
  connectionStore,
  type ExternalStore,
  IDLE_JOB,
  jobStore,
  type UploadStore,
  uploadStore,
} from './stores.ts';
export { type UseTopicResult, useTopic } from './use-topic.ts';
