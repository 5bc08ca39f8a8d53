import { describe, expect, it } from 'vitest';
import { contentHash, deterministicEventId, newOrderId, stableStringify } from '../../../lambdas/core/ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('deterministicEventId', () => {
  it('is sha256(order NUL service NUL outcome) laid out as a version-5-style UUID (known value)', () => {
    // sha256("o-1\0payment\0PaymentCharged") = 1276bcd3 396f 3207 0c2a de041e31f83e...
    expect(deterministicEventId('o-1', 'payment', 'PaymentCharged')).toBe('1276bcd3-396f-5207-8c2a-de041e31f83e');
  });

  it('sets the variant bits of the 17th digit to 10xx for every id', () => {
    const ids = Array.from({ length: 64 }, (_, i) => deterministicEventId(`o-${i}`, 's', 'E'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
  });

  it('separates its parts: moving a character between them changes the id', () => {
    expect(deterministicEventId('ab', 'c', 'd')).not.toBe(deterministicEventId('a', 'bc', 'd'));
  });
});

describe('stableStringify and contentHash', () => {
  it('sorts keys at every depth and drops undefined members, like JSON.stringify otherwise', () => {
    expect(stableStringify({ b: [1, null, 'x', { d: 1, c: undefined, a: true }], a: 1 })).toBe('{"a":1,"b":[1,null,"x",{"a":true,"d":1}]}');
    expect(stableStringify({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
    expect(stableStringify([])).toBe('[]');
    expect(stableStringify({})).toBe('{}');
    expect(stableStringify(undefined)).toBe('null');
    expect(stableStringify('q"')).toBe('"q\\""');
    expect(stableStringify({ 'k"': 1 })).toBe('{"k\\"":1}');
  });

  it('hashes the stable form with sha256 (known value), so key order does not matter', () => {
    expect(contentHash({ b: [1, null, 'x'], a: 1 })).toBe('5859493b3fc33ce317fd0c113192c29f49c76fd893461d90bad7822bde4a0aef');
    expect(contentHash({ a: 1, b: [1, null, 'x'] })).toBe(contentHash({ b: [1, null, 'x'], a: 1 }));
  });
});

describe('newOrderId', () => {
  it('is a random UUID v4, new each time', () => {
    const a = newOrderId();
    expect(a).toMatch(UUID_V4);
    expect(newOrderId()).not.toBe(a);
  });
});
