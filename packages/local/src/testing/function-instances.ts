import { readdirSync, readFileSync } from 'node:fs';

// The local Lambda instances running on this machine, found through /proc (Linux): a test that
// kills a worker mid-batch, or a bench that samples a worker's memory, needs their pids. Every
// local stack on the machine (another test run, `npm run dev`) runs functions of the same names,
// so callers narrow by parent process or by an endpoint of their own stack.

/**
 * One running instance of a local Lambda function.
 *
 * @example
 * const { pid, functionName } = functionInstances()[0];
 */
export interface FunctionInstance {
  readonly pid: number;
  readonly parentPid: number;
  /** Its `AWS_LAMBDA_FUNCTION_NAME`. */
  readonly functionName: string;
  /** Its environment, by variable name. */
  readonly env: ReadonlyMap<string, string>;
}

/**
 * Every process whose environment names a Lambda function (`AWS_LAMBDA_FUNCTION_NAME`); empty
 * where /proc is missing. Processes that end meanwhile, or that are not readable, are skipped.
 *
 * @example
 * const mine = functionInstances().filter(
 *   (i) => i.functionName.includes('SqsTopicFanout') && i.env.get('AWS_ENDPOINT_URL_SQS') === stack.localUrl,
 * );
 */
export function functionInstances(): FunctionInstance[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: FunctionInstance[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = new Map<string, string>();
      for (const pair of readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0')) {
        const at = pair.indexOf('=');
        if (at > 0) env.set(pair.slice(0, at), pair.slice(at + 1));
      }
      const functionName = env.get('AWS_LAMBDA_FUNCTION_NAME');
      if (functionName === undefined) continue;
      const parentPid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      found.push({ pid: Number(entry), parentPid, functionName, env });
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return found;
}
