import { httpRoute, json } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';

/** Builds `GET /me`: the signed-in user's `{userId, username, groups}` from the Cognito claims. */
export function makeHttpWhoamiHandler(deps: DepsProvider<'cors' | 'log' | 'metrics'>) {
  return httpRoute(deps, { route: 'GET /me' }, async ({ caller }) => {
    const { userId, username, groups } = caller;
    return json(200, { userId, username, groups });
  });
}

export const handler = makeHttpWhoamiHandler(getBaseDeps);
