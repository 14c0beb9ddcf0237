/**
 * Object keys of the uploads bucket: `uploads/{userId}/{jobId}.csv` for uploads and
 * `reports/{userId}/{jobId}.json` for reject reports. Both are built only from the Cognito
 * `sub` and a server-made job id, never from the user's file name.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A Cognito `sub` is a UUID; anything key-safe and short is accepted so dev users still work. */
const USER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The parts of an upload key. */
export interface UploadKey {
  readonly userId: string;
  readonly jobId: string;
  /** The decoded key, as stored on the job. */
  readonly objectKey: string;
}

/**
 * Whether a string can be the user part of a key (no `/`, no control characters).
 *
 * @example
 * isKeySafeUserId('6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001'); // true
 */
export function isKeySafeUserId(userId: string): boolean {
  return USER_ID.test(userId) && userId !== '.' && userId !== '..';
}

/**
 * The key a job's upload goes to.
 *
 * @example
 * uploadObjectKey('u-1', 'c0ffee00-0000-4000-8000-000000000000'); // 'uploads/u-1/c0ffee00-….csv'
 */
export function uploadObjectKey(userId: string, jobId: string): string {
  if (!isKeySafeUserId(userId)) throw new RangeError('user id is not usable in an object key');
  if (!UUID.test(jobId)) throw new RangeError('job id must be a lowercase UUID');
  return `uploads/${userId}/${jobId}.csv`;
}

/**
 * The key of a job's reject report.
 *
 * @example
 * reportObjectKey('u-1', jobId); // 'reports/u-1/{jobId}.json'
 */
export function reportObjectKey(userId: string, jobId: string): string {
  if (!isKeySafeUserId(userId)) throw new RangeError('user id is not usable in an object key');
  return `reports/${userId}/${jobId}.json`;
}

/**
 * Decodes a key as S3 writes it in event notifications (form URL encoding: `+` is a space)
 * and splits an upload key into its parts. Undefined for anything that is not exactly
 * `uploads/{userId}/{jobId}.csv`.
 *
 * @example
 * parseUploadKey('uploads/u-1/c0ffee00-0000-4000-8000-000000000000.csv');
 * // { userId: 'u-1', jobId: 'c0ffee00-…', objectKey: 'uploads/u-1/c0ffee00-….csv' }
 */
export function parseUploadKey(encodedKey: string): UploadKey | undefined {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
  const match = /^uploads\/([^/]+)\/([^/]+)\.csv$/.exec(key);
  if (!match) return undefined;
  const userId = match[1] as string;
  const jobId = match[2] as string;
  if (!isKeySafeUserId(userId) || !UUID.test(jobId)) return undefined;
  return { userId, jobId, objectKey: key };
}
