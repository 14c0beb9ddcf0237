import { describe, expect, it } from 'vitest';
import {
  CONNECTIONS_TABLE,
  createTableInput,
  DEVICES_TABLE,
  JOB_EVENTS_TABLE,
  TABLES,
  TICKETS_TABLE,
  tableName,
} from '../../src/tables.ts';

describe('table definitions', () => {
  it('lists every realtime table once, each with a TTL attribute but the permanent topic grants', () => {
    expect(TABLES.map((t) => t.id)).toEqual([
      'Connections',
      'Tickets',
      'Devices',
      'JobEvents',
      'ConnectAttempts',
      'TopicGrants',
      'TopicSubscriptions',
      'TopicEvents',
    ]);
    for (const def of TABLES) {
      expect(def.ttlAttribute, def.id).toBe(def.id === 'TopicGrants' ? undefined : 'expiresAt');
    }
    expect(new Set(TABLES.map((t) => tableName(t, 'p-'))).size).toBe(TABLES.length);
  });

  it('keys the job event log by job and numeric seq', () => {
    expect(createTableInput(JOB_EVENTS_TABLE, 'x-job-events')).toEqual({
      TableName: 'x-job-events',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'jobId', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'jobId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
    });
  });

  it('keys devices by user and token, with a byToken index projecting everything', () => {
    const input = createTableInput(DEVICES_TABLE, 'x-devices');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'userId', KeyType: 'HASH' },
      { AttributeName: 'token', KeyType: 'RANGE' },
    ]);
    expect(input.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byToken',
        KeySchema: [{ AttributeName: 'token', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('keys tickets by their hash only, and connections by id with the byUser index', () => {
    expect(createTableInput(TICKETS_TABLE, 't').KeySchema).toEqual([
      { AttributeName: 'ticketHash', KeyType: 'HASH' },
    ]);
    expect(createTableInput(CONNECTIONS_TABLE, 'c').GlobalSecondaryIndexes?.[0]?.IndexName).toBe('byUser');
  });
});
