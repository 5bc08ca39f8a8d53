import { describe, expect, it } from 'vitest';
import { maskAddress, maskEmail } from '../../../lambdas/core/masking';

describe('masking', () => {
  it('keeps the first letter and the domain of an e-mail', () => {
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
    expect(maskEmail('@example.com')).toBe('***');
  });
  it('keeps the country and at most a third of the postal code', () => {
    expect(maskAddress({ country: 'GB', postalCode: 'NW1 6XE' })).toEqual({ country: 'GB', postalCode: 'NW***' });
    expect(maskAddress({ country: 'DE', postalCode: '10115' })).toEqual({ country: 'DE', postalCode: '1***' });
    expect(maskAddress({ country: 'IE', postalCode: 'D2' })).toEqual({ country: 'IE', postalCode: '***' });
  });

  // Visible characters = min(2, floor(length / 3)): a third of the code, never more than 2 (typed in, not computed).
  it.each([
    [1, ''],
    [2, ''],
    [3, 'A'],
    [5, 'A'],
    [6, 'AB'],
    [8, 'AB'],
    [9, 'AB'],
    [16, 'AB'],
  ])('a postal code of %i characters shows %j', (length, shown) => {
    const code = 'ABCDEFGHIJKLMNOP'.slice(0, length);
    expect(code).toHaveLength(length);
    expect(maskAddress({ country: 'NL', postalCode: code })).toEqual({ country: 'NL', postalCode: `${shown}***` });
  });

  it('a long e-mail (254 characters) keeps only its first letter and domain; the last @ splits it', () => {
    const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    const long = `${'a'.repeat(64)}@${domain}`;
    expect(long).toHaveLength(254);
    expect(maskEmail(long)).toBe(`a***@${domain}`);
    expect(maskEmail('"x@y"@example.com')).toBe('"***@example.com');
    expect(maskEmail('j@example.com')).toBe('j***@example.com');
    expect(maskEmail('no-at-sign')).toBe('***');
    expect(maskEmail('')).toBe('***');
  });
});
