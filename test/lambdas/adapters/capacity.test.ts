import { describe, expect, it } from 'vitest';
import { capacityOf, itemSize, valueSize } from '../../../lambdas/adapters/capacity';

const small = { pk: { S: 'ORDER#1' }, sk: { S: 'STATUS#shipping' }, n: { N: '12345' } };
const big = { pk: { S: 'A' }, blob: { S: 'x'.repeat(1500) } };

describe('item size (AWS rules)', () => {
  it('counts attribute names and values', () => {
    // pk 2 + 7, sk 2 + 15, n 1 + (5 digits -> 3 + 1)
    expect(itemSize(small)).toBe(2 + 7 + 2 + 15 + 1 + 4);
  });
  it('a number in exponent form counts its significant digits only (sign, point and exponent are free)', () => {
    expect(valueSize({ N: '-1.5e+10' })).toBe(1 + 1); // "15": 2 digits -> 1 byte + 1
    expect(valueSize({ N: '12345e-7' })).toBe(3 + 1); // "12345": 5 digits -> 3 bytes + 1
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

/** Values written down from AWS's item-size rules (docs/bench: "what a write costs"), not read from the code. */
describe('value sizes, rule by rule', () => {
  it.each([
    ['a string: its UTF-8 bytes', { S: 'é!' }, 3],
    ['a number: a byte per two significant digits, plus one', { N: '12345' }, 4],
    ['a negative decimal: sign and point are free', { N: '-1.50' }, 3],
    ['leading zeros are not significant', { N: '0007' }, 2],
    ['an exponent is not a digit', { N: '1e5' }, 2],
    ['binary as base64: the decoded bytes', { B: 'AAAA' }, 3],
    ['binary as bytes', { B: new Uint8Array(5) }, 5],
    ['a boolean, false too', { BOOL: false }, 1],
    ['a null', { NULL: true }, 1],
    ['an empty list: 3 bytes', { L: [] }, 3],
    ['a list: 3 + 1 per element + the elements', { L: [{ S: 'ab' }, { N: '1' }] }, 3 + 3 + 3],
    ['an empty map: 3 bytes', { M: {} }, 3],
    ['a map: 3 + 1 per entry + names + values', { M: { ab: { S: 'c' } } }, 3 + 1 + 2 + 1],
    ['a string set: the strings', { SS: ['a', 'bc'] }, 3],
    ['a number set: the numbers', { NS: ['1', '22'] }, 4],
    ['a binary set: the binaries', { BS: ['AAAA', new Uint8Array(2)] }, 5],
    ['no value', undefined, 0],
    ['an unknown type', {}, 0],
  ])('%s', (_, value, bytes) => {
    expect(valueSize(value as Parameters<typeof valueSize>[0])).toBe(bytes);
  });
  it('no item has no size', () => {
    expect(itemSize(undefined)).toBe(0);
  });
});

const ofBytes = (bytes: number) => ({ p: { S: 'x'.repeat(bytes - 1) } }); // name "p" is 1 byte

describe('capacityOf at every unit boundary', () => {
  it('a write of exactly 1 KB is 1 unit, a byte more is 2', () => {
    expect(capacityOf('PutItemCommand', { Item: ofBytes(1024) }, {}).write).toBe(1);
    expect(capacityOf('PutItemCommand', { Item: ofBytes(1025) }, {}).write).toBe(2);
    expect(capacityOf('PutItem', { Item: ofBytes(1025) }, {}).write).toBe(2); // with or without the Command suffix
  });
  it('a read of exactly 4 KB is 1 unit (consistent), a byte more is 2; eventually consistent halves it', () => {
    expect(capacityOf('GetItemCommand', { ConsistentRead: true }, { Item: ofBytes(4096) }).read).toBe(1);
    expect(capacityOf('GetItemCommand', { ConsistentRead: true }, { Item: ofBytes(4097) }).read).toBe(2);
    expect(capacityOf('GetItemCommand', {}, { Item: ofBytes(4097) }).read).toBe(1);
  });
  it('an update is billed for its key, attribute names and values, or for the item it returned', () => {
    const update = { Key: { pk: { S: 'A' } }, ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':v': { S: 'x'.repeat(1016) } } };
    // 3 (key) + 5 (name) + 1016 (value) = 1024 bytes: 1 unit; one more byte of value: 2.
    expect(capacityOf('UpdateItemCommand', update, {})).toEqual({ read: 0, write: 1 });
    const bigger = { ...update, ExpressionAttributeValues: { ':v': { S: 'x'.repeat(1017) } } };
    expect(capacityOf('UpdateItemCommand', bigger, {})).toEqual({ read: 0, write: 2 });
    expect(capacityOf('UpdateItemCommand', bigger, { Attributes: { pk: { S: 'A' } } })).toEqual({ read: 0, write: 1 });
    expect(capacityOf('UpdateItemCommand', update, { Attributes: ofBytes(2049) })).toEqual({ read: 0, write: 3 });
    // A failed condition has no output: billed for what the request shows.
    expect(capacityOf('UpdateItemCommand', bigger, undefined, true)).toEqual({ read: 0, write: 2 });
  });
  it('a delete is billed for the item it removed when returned, else for its key', () => {
    expect(capacityOf('DeleteItemCommand', { Key: { pk: { S: 'A' } } }, { Attributes: ofBytes(1025) })).toEqual({ read: 0, write: 2 });
    expect(capacityOf('DeleteItemCommand', { Key: { pk: { S: 'A' } } }, {})).toEqual({ read: 0, write: 1 });
  });
  it('a failed read is not billed; a failed write is', () => {
    for (const op of ['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand'])
      expect(capacityOf(op, { ConsistentRead: true }, { Item: ofBytes(10), Items: [ofBytes(10)] }, true), op).toEqual({ read: 0, write: 0 });
    expect(capacityOf('DeleteItemCommand', { Key: { pk: { S: 'A' } } }, undefined, true)).toEqual({ read: 0, write: 1 });
  });
  it('a query or scan sums its items before rounding', () => {
    expect(capacityOf('ScanCommand', {}, { Items: [ofBytes(3000), ofBytes(3000)] })).toEqual({ read: 1, write: 0 });
    expect(capacityOf('ScanCommand', { ConsistentRead: true }, { Items: [ofBytes(3000), ofBytes(3000)] })).toEqual({ read: 2, write: 0 });
    expect(capacityOf('QueryCommand', { ConsistentRead: true }, {})).toEqual({ read: 1, write: 0 });
  });
  it('a batch get rounds per item, with each table read as it asked', () => {
    const input = { RequestItems: { T1: { ConsistentRead: true }, T2: {} } };
    expect(capacityOf('BatchGetItemCommand', input, { Responses: { T1: [ofBytes(10), ofBytes(4097)], T2: [ofBytes(10)] } })).toEqual({
      read: 1 + 2 + 0.5,
      write: 0,
    });
  });
  it('a batch get bills a key with no item at the minimum, like a GetItem of it, and an unprocessed key not at all', () => {
    // Fails before: only the items found were counted, so a read of a missing inbox record in a batch looked free.
    const key = { pk: { S: 'K' } };
    const input = { RequestItems: { T1: { Keys: [key, key, key], ConsistentRead: true }, T2: { Keys: [key, key] } } };
    const output = { Responses: { T1: [ofBytes(10)] }, UnprocessedKeys: { T1: { Keys: [key] } } };
    // T1: one found (1) + one missing (1) + one unprocessed (0); T2: two missing, eventually consistent (0.5 each).
    expect(capacityOf('BatchGetItemCommand', input, output)).toEqual({ read: 1 + 1 + 0.5 + 0.5, write: 0 });
  });
  it('a batch write costs each put by its size', () => {
    expect(
      capacityOf('BatchWriteItemCommand', { RequestItems: { T: [{ PutRequest: { Item: ofBytes(10) } }, { PutRequest: { Item: ofBytes(1025) } }] } }, {}),
    ).toEqual({
      read: 0,
      write: 1 + 2,
    });
  });
  it('a transactional delete costs 2 units; a transactional get 2 per item per 4 KB', () => {
    expect(capacityOf('TransactWriteItemsCommand', { TransactItems: [{ Delete: { Key: { pk: { S: 'A' } } } }] }, {})).toEqual({ read: 0, write: 2 });
    expect(capacityOf('TransactGetItemsCommand', {}, { Responses: [{ Item: ofBytes(10) }, { Item: ofBytes(4097) }] })).toEqual({ read: 2 + 4, write: 0 });
  });
  it('a transactional update or delete over 1 KB costs 2 units per started KB, like a put', () => {
    // Update: 3 (key) + 1500 (value) = 1503 bytes -> 2 KB -> 4 units. Delete by a 1100-byte key -> 2 KB -> 4 units.
    const update = { Key: { pk: { S: 'A' } }, ExpressionAttributeValues: { ':v': { S: 'x'.repeat(1500) } } };
    expect(capacityOf('TransactWriteItemsCommand', { TransactItems: [{ Update: update }] }, {})).toEqual({ read: 0, write: 4 });
    expect(capacityOf('TransactWriteItemsCommand', { TransactItems: [{ Delete: { Key: ofBytes(1100) } }] }, {})).toEqual({ read: 0, write: 4 });
  });
  it('a returned ConsumedCapacity wins when it has units: summed over a list, a read for reads, a write for writes', () => {
    const consumed = { ConsumedCapacity: [{ CapacityUnits: 1 }, { CapacityUnits: 2 }] };
    expect(capacityOf('TransactWriteItemsCommand', { TransactItems: [] }, consumed)).toEqual({ read: 0, write: 3 });
    expect(capacityOf('ScanCommand', {}, consumed)).toEqual({ read: 3, write: 0 });
    expect(capacityOf('GetItemCommand', {}, { ConsumedCapacity: { CapacityUnits: 4 } })).toEqual({ read: 4, write: 0 });
    // Zero units, or a failed request: counted from the request instead.
    expect(capacityOf('PutItemCommand', { Item: ofBytes(1025) }, { ConsumedCapacity: { CapacityUnits: 0 } })).toEqual({ read: 0, write: 2 });
    expect(capacityOf('PutItemCommand', { Item: ofBytes(1025) }, { ConsumedCapacity: { CapacityUnits: 9 } }, true)).toEqual({ read: 0, write: 2 });
  });
});
