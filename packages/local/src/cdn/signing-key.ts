import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CloudFront key pair as the operator makes one (RSA 2048, PEM). */
export interface LocalSigningKey {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

/**
 * The local stack's CloudFront key pair: made once per checkout in `dir` and reused, because its
 * public half is CDK context (`downloadsPublicKeys`) and so part of the synth cache key — a new
 * key per stack would re-bundle every function on every start. Created atomically (a hard link
 * that fails when another process won the race), so parallel starts agree on one key.
 *
 * @example
 * const key = localSigningKey(join(REPO_ROOT, 'node_modules', '.cache', 'herald'));
 */
export function localSigningKey(dir: string): LocalSigningKey {
  const file = join(dir, 'cloudfront-signing-key.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalSigningKey;
  } catch {
    // Not made yet (or half-read while being made: the link below makes that impossible).
  }
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, JSON.stringify({ publicKeyPem: publicKey, privateKeyPem: privateKey }), {
    mode: 0o600,
  });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as LocalSigningKey;
}
