// The local Lambda runtime: one instance of one function, in its own process, on the Node.js
// major the template's `Runtime` names. Plain JavaScript (it runs the bundle the CDK app built,
// with no TypeScript loader in between). The host (function-host.ts) sends one invocation at a
// time over IPC; this process answers it and waits for the next, keeping module state warm as a
// Lambda execution environment does. The host kills it at the function's timeout.
//
//   node lambda-bootstrap.mjs <codeDir> <handler>     (handler: `index.handler`)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [codeDir, handlerSetting] = process.argv.slice(2);
const [moduleName, exportName] = String(handlerSetting).split(/\.(?=[^.]+$)/);

function errorPayload(error, type) {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: type ?? e.name ?? 'Error',
    errorMessage: e.message,
    stack: String(e.stack ?? '').split('\n'),
  };
}

async function loadHandler() {
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(codeDir, `${moduleName}${ext}`)).find(existsSync);
  if (file === undefined)
    throw Object.assign(new Error(`Cannot find module '${moduleName}' in ${codeDir}`), {
      name: 'Runtime.ImportModuleError',
    });
  const mod = await import(pathToFileURL(file).href);
  const handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  return handler;
}

// Lambda imports the module during init, before the first invocation: an import error fails
// every invocation of this instance.
const init = loadHandler().then(
  (handler) => ({ handler }),
  (error) => ({ error: errorPayload(error, error?.name) }),
);

function contextFor(message) {
  const { functionName, memoryMiB, requestId, deadline, region, accountId } = message.context;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryMiB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {
      throw new Error('context.done() is not supported: return (or throw from) an async handler');
    },
    fail() {
      throw new Error('context.fail() is not supported: return (or throw from) an async handler');
    },
    succeed() {
      throw new Error('context.succeed() is not supported: return (or throw from) an async handler');
    },
  };
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const loaded = await init;
  if (loaded.error) return process.send({ type: 'result', id: message.id, ok: false, error: loaded.error });
  process.env._X_AMZN_TRACE_ID = message.context.traceId;
  try {
    const event = JSON.parse(message.event);
    const value = await loaded.handler(event, contextFor(message));
    // Lambda serializes the result as JSON: what cannot be serialized is an error there too.
    const payload = value === undefined ? 'null' : JSON.stringify(value);
    process.send({ type: 'result', id: message.id, ok: true, payload });
  } catch (error) {
    process.send({ type: 'result', id: message.id, ok: false, error: errorPayload(error) });
  }
});

// An exception no invocation awaited ends the environment, as Lambda's runtime does.
for (const signal of ['uncaughtException', 'unhandledRejection']) {
  process.on(signal, (error) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', message: `Runtime.${signal}`, error: errorPayload(error) })}\n`,
    );
    process.exit(128);
  });
}

init.then(() => process.send({ type: 'ready' }));
