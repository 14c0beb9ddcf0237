import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { isDeviceLive } from '../core/devices.ts';
import { StoreError } from '../errors.ts';
import type { DeviceRecord, DeviceStore, RegisterDeviceOutcome } from '../ports.ts';
import { DEVICES_TABLE } from '../tables.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError, queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoDeviceStore}. */
export interface DynamoDeviceStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `DEVICES_TABLE`. */
  readonly tableName: string;
}

const BY_TOKEN = DEVICES_TABLE.globalSecondaryIndexes.find((index) => index.indexName === 'byToken');
if (BY_TOKEN === undefined) throw new Error('DEVICES_TABLE has no byToken index');
const BY_TOKEN_INDEX = BY_TOKEN.indexName;

const PLATFORMS = new Set(['ios', 'android', 'web']);

/**
 * {@link DeviceStore} on the devices table (`DEVICES_TABLE`): key (`userId`, `token`), so a
 * user's devices are one strongly consistent Query and a delete can only ever touch the
 * caller's own item.
 *
 * The per-user cap is checked by counting before a new token is written. Without transactions
 * (dynalite has none) two registrations of DIFFERENT new tokens racing for the last slot can
 * both pass; the cap bounds abuse, it is not an exact quota. Re-registering a token the user
 * already has never counts against it.
 *
 * @example
 * const outcome = await store.register(newDevice({ userId, token, platform: 'ios', now }), 10, now);
 */
export class DynamoDeviceStore implements DeviceStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoDeviceStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async register(device: DeviceRecord, max: number, now: number): Promise<RegisterDeviceOutcome> {
    try {
      const existing = await this.#get(device.userId, device.token);
      if (existing !== undefined && isDeviceLive(existing, now)) {
        const refreshed: DeviceRecord = { ...device, registeredAt: existing.registeredAt };
        await this.#put(refreshed);
        await this.#removeFromOtherUsers(device);
        return { kind: 'refreshed', device: refreshed };
      }
      const live = await this.listByUser(device.userId, now);
      if (live.length >= max) return { kind: 'limit-reached' };
      await this.#put(device);
      await this.#removeFromOtherUsers(device);
      return { kind: 'created', device };
    } catch (error) {
      throw error instanceof StoreError ? error : storeError('register', error);
    }
  }

  async remove(userId: string, token: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { userId, token },
          ConditionExpression: 'attribute_exists(#token)',
          ExpressionAttributeNames: { '#token': 'token' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw storeError('remove', error);
    }
  }

  async listByUser(userId: string, now: number): Promise<DeviceRecord[]> {
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#userId = :userId',
          FilterExpression: '#expiresAt > :nowSeconds',
          ExpressionAttributeNames: { '#userId': 'userId', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':userId': userId, ':nowSeconds': Math.floor(now / 1000) },
          ConsistentRead: true,
        }),
        (item) => {
          const device = toDevice(item);
          return device !== undefined && isDeviceLive(device, now) ? device : undefined;
        },
      );
    } catch (error) {
      throw storeError('listByUser', error);
    }
  }

  async #get(userId: string, token: string): Promise<DeviceRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { userId, token }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toDevice(Item);
  }

  async #put(device: DeviceRecord): Promise<void> {
    const { userId, token, platform, registeredAt, expiresAt } = device;
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { userId, token, platform, registeredAt, expiresAt },
      }),
    );
  }

  /**
   * A token names one app install. When another user signs in on that device and registers it,
   * the previous user's entry goes, or their pushes would reach the new user. (The GSI is
   * eventually consistent; an entry written a moment ago may survive until the next register.)
   */
  async #removeFromOtherUsers(device: DeviceRecord): Promise<void> {
    const { Items } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: BY_TOKEN_INDEX,
        KeyConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': device.token },
      }),
    );
    for (const item of Items ?? []) {
      if (typeof item.userId === 'string' && item.userId !== device.userId) {
        await this.#client.send(
          new DeleteCommand({
            TableName: this.#tableName,
            Key: { userId: item.userId, token: device.token },
          }),
        );
      }
    }
  }
}

function toDevice(item: Record<string, unknown>): DeviceRecord | undefined {
  const { userId, token, platform, registeredAt, expiresAt } = item;
  if (typeof userId !== 'string' || typeof token !== 'string') return undefined;
  if (typeof platform !== 'string' || !PLATFORMS.has(platform)) return undefined;
  if (typeof registeredAt !== 'number' || typeof expiresAt !== 'number') return undefined;
  return { userId, token, platform: platform as DeviceRecord['platform'], registeredAt, expiresAt };
}

function storeError(operation: string, error: unknown): StoreError {
  // The message names the operation and the AWS error, never the token.
  return dynamoStoreError('devices', 'devices', operation, error);
}
