/**
 * `@herald/infra`: the CDK app that deploys Herald. `bin/app.ts` is the entry point; this is the
 * surface for tests and for apps that embed the stack.
 */
export { addHeraldStack, HERALD_FEATURE_FLAGS, type HeraldAppOptions } from '../lib/app.ts';
export { ENVIRONMENTS, type EnvironmentName, type HeraldConfig, resolveConfig } from '../lib/config.ts';
export { HeraldFunction, type HeraldFunctionProps } from '../lib/constructs/herald-function.ts';
export { HANDLER_ACCESS, type HandlerAccess, MissingHandlerError } from '../lib/handlers.ts';
export { HeraldStack, type HeraldStackProps } from '../lib/stacks/herald-stack.ts';
