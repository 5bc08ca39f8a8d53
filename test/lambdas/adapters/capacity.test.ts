import { describe, expect, it } from 'vitest';
import { capacityOf, itemSize, valueSize } from '../../../lambdas/adapters/capacity';

const small = { pk: { S: 'ORDER#1' }, sk: { S: 'STATUS#shipping' }, n: { N: '12345' } };
const big = { pk: { S: 'A' }, blob: { S: 'x'.repeat(1500) } };

describe('item size (AWS rules)', () => {
  it('counts attribute names and values', () => {
    // pk 2 + 7, sk 2 + 15, n 1 + (5 digits -> 3 + 1)
    expect(itemSize(small)).toBe(2 + 7 + 2 + 15 + 1 + 4);
  });
  it('sizes lists and maps with their overhead', () => {
    expect(valueSize({ L: [{ S: 'ab' }] })).toBe(3 + 1 + 2);
    expect(valueSize({ M: { k: { BOOL: true } } })).toBe(3 + 1 + 1 + 1);
  });
});

describe('capacityOf', () => {
  it('a put costs 1 WCU per started KB', () => {
    expect(capacityOf('PutItemCommand', { Item: small }, {})).toEqual({ read: 0, write: 1 });
    expect(capacityOf('PutItemCommand', { Item: big }, {})).toEqual({ read: 0, write: 2 });
  });
  it('a failed conditional put is billed, a throttled one is not counted here', () => {
    expect(capacityOf('PutItemCommand', { Item: small }, undefined, true)).toEqual({ read: 0, write: 1 });
  });
  it('a transactional write costs 2 WCU per item per KB; a condition check 2 RCU', () => {
    const input = {
      TransactItems: [
        { Put: { Item: small } },
        { Update: { Key: small, ExpressionAttributeValues: { ':v': { N: '1' } } } },
        { Put: { Item: big } },
        { ConditionCheck: { Key: small } },
      ],
    };
    expect(capacityOf('TransactWriteItemsCommand', input, {})).toEqual({ read: 2, write: 2 + 2 + 4 });
  });
  it('reads cost 1 RCU per 4 KB strongly consistent, half eventually', () => {
    expect(capacityOf('GetItemCommand', { ConsistentRead: true }, { Item: small })).toEqual({ read: 1, write: 0 });
    expect(capacityOf('GetItemCommand', {}, { Item: small })).toEqual({ read: 0.5, write: 0 });
    expect(capacityOf('GetItemCommand', { ConsistentRead: true }, {})).toEqual({ read: 1, write: 0 }); // a miss is billed too
    expect(capacityOf('QueryCommand', { ConsistentRead: true }, { Items: [big, big, big] })).toEqual({ read: 2, write: 0 });
  });
  it('batch gets cost per item', () => {
    expect(capacityOf('BatchGetItemCommand', { RequestItems: { T: { ConsistentRead: false } } }, { Responses: { T: [small, small] } })).toEqual({
      read: 1,
      write: 0,
    });
  });
  it('prefers a ConsumedCapacity the endpoint returned', () => {
    expect(capacityOf('PutItemCommand', { Item: small }, { ConsumedCapacity: { CapacityUnits: 3 } })).toEqual({ read: 0, write: 3 });
    expect(capacityOf('QueryCommand', {}, { ConsumedCapacity: { CapacityUnits: 0.5 }, Items: [] })).toEqual({ read: 0.5, write: 0 });
  });
  it('SNS and unknown commands cost no capacity', () => {
    expect(capacityOf('PublishCommand', {}, {})).toEqual({ read: 0, write: 0 });
  });
});
