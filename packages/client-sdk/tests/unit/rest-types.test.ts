// A type test: `pnpm --filter @herald/client-sdk typecheck` fails when the SDK's REST types and
// the route contracts' zod schemas disagree. At run time `expectTypeOf` checks nothing; the
// compiler does. The zod entry of `@herald/protocol` is imported for its TYPES only (the SDK
// itself imports `@herald/protocol/wire`).
import type { ROUTES } from '@herald/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { DevicePlatform, HeraldClient, RestRouteName } from '../../src/index.ts';

type Contracts = (typeof ROUTES)['http'];
type Responses<Name extends RestRouteName> = Contracts[Name]['responses'];
/** What a response schema parses to, read off the schema itself; `undefined` for no body. */
type Parsed<Schema> = Schema extends { parse(data: unknown): infer Output } ? Output : undefined;
/** What a request schema accepts: zod's input side. */
type Accepted<Schema> = Schema extends { _zod: { input: infer Input } } ? Input : never;

type ContractAnswer<Name extends RestRouteName> = {
  [Status in keyof Responses<Name>]: {
    readonly status: Status;
    readonly body: Parsed<Responses<Name>[Status] extends { body: infer Body } ? Body : never>;
  };
}[keyof Responses<Name>];
type Body<Name extends RestRouteName, Status extends keyof Responses<Name>> = Parsed<
  Responses<Name>[Status] extends { body: infer Schema } ? Schema : never
>;
type RequestBody<Name extends RestRouteName> = Accepted<
  Contracts[Name]['request'] extends { body: infer Schema } ? Schema : never
>;

describe('the SDK’s REST types, against the route contracts', () => {
  it('answers every route of client.rest with the bodies its response schemas parse to, by status', () => {
    expectTypeOf<{
      [Name in RestRouteName]: Awaited<ReturnType<HeraldClient['rest'][Name]>>;
    }>().toEqualTypeOf<{ [Name in RestRouteName]: ContractAnswer<Name> }>();
  });

  it('sends the bodies the request schemas accept', () => {
    type SdkBody<Name extends RestRouteName> = Parameters<HeraldClient['rest'][Name]>[0] extends infer Call
      ? Call extends { body: infer Sent }
        ? Sent
        : never
      : never;
    expectTypeOf<SdkBody<'createUpload'>>().toEqualTypeOf<RequestBody<'createUpload'>>();
    expectTypeOf<SdkBody<'createFileLink'>>().toEqualTypeOf<RequestBody<'createFileLink'>>();
    expectTypeOf<SdkBody<'createGrant'>>().toEqualTypeOf<RequestBody<'createGrant'>>();
    expectTypeOf<SdkBody<'registerDevice'>>().toEqualTypeOf<RequestBody<'registerDevice'>>();
  });

  it('types each client method with its route’s schemas', () => {
    expectTypeOf<HeraldClient['me']>().returns.resolves.toEqualTypeOf<Body<'whoami', 200>>();
    expectTypeOf<HeraldClient['jobs']>().returns.resolves.toEqualTypeOf<Body<'listJobs', 200>>();
    expectTypeOf<HeraldClient['job']>().returns.resolves.toEqualTypeOf<Body<'getJob', 200>>();
    expectTypeOf<HeraldClient['jobErrors']>().returns.resolves.toEqualTypeOf<Body<'getJobErrors', 200>>();
    expectTypeOf<HeraldClient['createUpload']>().returns.resolves.toEqualTypeOf<Body<'createUpload', 201>>();
    expectTypeOf<HeraldClient['createUpload']>().parameter(0).toEqualTypeOf<RequestBody<'createUpload'>>();
    expectTypeOf<HeraldClient['createTicket']>().returns.resolves.toEqualTypeOf<Body<'createTicket', 201>>();
    expectTypeOf<HeraldClient['registerDevice']>().returns.resolves.toEqualTypeOf<
      Body<'registerDevice', 200> | Body<'registerDevice', 201>
    >();
    expectTypeOf<HeraldClient['registerDevice']>()
      .parameter(1)
      .toEqualTypeOf<RequestBody<'registerDevice'>['platform'] | undefined>();
    expectTypeOf<DevicePlatform>().toEqualTypeOf<RequestBody<'registerDevice'>['platform']>();
    expectTypeOf<HeraldClient['getFileLink']>().returns.resolves.toEqualTypeOf<Body<'createFileLink', 200>>();
  });
});
