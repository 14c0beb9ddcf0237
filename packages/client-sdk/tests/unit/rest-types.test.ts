// A type test: `pnpm --filter @herald/client-sdk typecheck` fails when the SDK's REST types and
// the route contracts' zod schemas disagree. At run time `expectTypeOf` checks nothing; the
// compiler does. The zod entry of `@herald/protocol` is imported for its TYPES only (the SDK
// itself imports `@herald/protocol/wire`).
import type { ROUTES } from '@herald/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { adminApi } from '../../src/admin.ts';
import type { deviceApi, registerDevice } from '../../src/devices.ts';
import type {
  AdminRouteName,
  CoreRouteName,
  DevicePlatform,
  DeviceRouteName,
  HeraldClient,
  MultipartRouteName,
  RestRouteName,
} from '../../src/index.ts';
import type { multipartApi } from '../../src/multipart.ts';

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

/** Every route's typed call: the core ones on `client.rest`, the others in the subpath entries. */
type AllRoutes = HeraldClient['rest'] &
  ReturnType<typeof adminApi> &
  ReturnType<typeof deviceApi> &
  ReturnType<typeof multipartApi>;

describe('the SDK’s REST types, against the route contracts', () => {
  it('places every route once: in client.rest, adminApi, deviceApi or multipartApi', () => {
    expectTypeOf<
      CoreRouteName | AdminRouteName | DeviceRouteName | MultipartRouteName
    >().toEqualTypeOf<RestRouteName>();
    expectTypeOf<keyof HeraldClient['rest']>().toEqualTypeOf<CoreRouteName>();
    expectTypeOf<keyof ReturnType<typeof adminApi>>().toEqualTypeOf<AdminRouteName>();
    expectTypeOf<keyof ReturnType<typeof deviceApi>>().toEqualTypeOf<DeviceRouteName>();
    expectTypeOf<keyof ReturnType<typeof multipartApi>>().toEqualTypeOf<MultipartRouteName>();
  });

  it('answers every route with the bodies its response schemas parse to, by status', () => {
    expectTypeOf<{
      [Name in RestRouteName]: Awaited<ReturnType<AllRoutes[Name]>>;
    }>().toEqualTypeOf<{ [Name in RestRouteName]: ContractAnswer<Name> }>();
  });

  it('sends the bodies the request schemas accept', () => {
    type SdkBody<Name extends RestRouteName> = Parameters<AllRoutes[Name]>[0] extends infer Call
      ? Call extends { body: infer Sent }
        ? Sent
        : never
      : never;
    expectTypeOf<SdkBody<'createUpload'>>().toEqualTypeOf<RequestBody<'createUpload'>>();
    expectTypeOf<SdkBody<'createFileLink'>>().toEqualTypeOf<RequestBody<'createFileLink'>>();
    expectTypeOf<SdkBody<'createGrant'>>().toEqualTypeOf<RequestBody<'createGrant'>>();
    expectTypeOf<SdkBody<'registerDevice'>>().toEqualTypeOf<RequestBody<'registerDevice'>>();
  });

  it('types each client method (and the device functions) with its route’s schemas', () => {
    expectTypeOf<HeraldClient['me']>().returns.resolves.toEqualTypeOf<Body<'whoami', 200>>();
    expectTypeOf<HeraldClient['jobs']>().returns.resolves.toEqualTypeOf<Body<'listJobs', 200>>();
    expectTypeOf<HeraldClient['job']>().returns.resolves.toEqualTypeOf<Body<'getJob', 200>>();
    expectTypeOf<HeraldClient['jobErrors']>().returns.resolves.toEqualTypeOf<Body<'getJobErrors', 200>>();
    expectTypeOf<HeraldClient['createUpload']>().returns.resolves.toEqualTypeOf<Body<'createUpload', 201>>();
    expectTypeOf<HeraldClient['createUpload']>().parameter(0).toEqualTypeOf<RequestBody<'createUpload'>>();
    expectTypeOf<HeraldClient['createTicket']>().returns.resolves.toEqualTypeOf<Body<'createTicket', 201>>();
    expectTypeOf<typeof registerDevice>().returns.resolves.toEqualTypeOf<
      Body<'registerDevice', 200> | Body<'registerDevice', 201>
    >();
    expectTypeOf<typeof registerDevice>()
      .parameter(2)
      .toEqualTypeOf<RequestBody<'registerDevice'>['platform'] | undefined>();
    expectTypeOf<DevicePlatform>().toEqualTypeOf<RequestBody<'registerDevice'>['platform']>();
    expectTypeOf<HeraldClient['getFileLink']>().returns.resolves.toEqualTypeOf<Body<'createFileLink', 200>>();
  });
});
