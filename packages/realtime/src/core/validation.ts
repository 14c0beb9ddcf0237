import { type ErrorEnvelope, errorEnvelope } from '@herald/protocol';

/** A schema problem as reported to clients: where, and what is wrong — never the value. */
interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The `400 VALIDATION_FAILED` envelope for schema issues: `details.issues` lists `{path, message}`
 * without the offending values (a device token or any other input stays out of responses and logs).
 *
 * @example
 * validationFailure(result.error.issues); // { code: 'VALIDATION_FAILED', message: 'platform: Use ios, android or web.', details: {...} }
 */
export function validationFailure(issues: readonly Issue[], prefix?: string): ErrorEnvelope {
  const listed = issues.slice(0, 10).map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== undefined && part !== '').join('.'),
    message: issue.message.slice(0, 200),
  }));
  const first = listed[0];
  const message =
    first === undefined ? undefined : `${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  return errorEnvelope('VALIDATION_FAILED', message, { issues: listed });
}
