import { describe, expect, it } from 'vitest';
import { httpEvent } from './fixtures';
import { apiBaseUrl, bodyText } from '../../../lambdas/api/http';

describe('bodyText', () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  it('decodes UTF-8 as is', () => {
    expect(bodyText(utf8('{"a":"é😀"}'))).toBe('{"a":"é😀"}');
  });

  it('keeps a byte-order mark, so that JSON.parse refuses the body (RFC 8259: no BOM)', () => {
    const text = bodyText(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('{}')]));
    expect(text).toBe('\uFEFF{}');
    expect(() => JSON.parse(text!)).toThrow(SyntaxError);
  });

  it('refuses bytes that are not UTF-8, and a U+FFFD left by a decoder upstream', () => {
    expect(bodyText(Uint8Array.from([0x7b, 0xff, 0x7d]))).toBeUndefined();
    expect(bodyText(utf8('{"a":"\uFFFD"}'))).toBeUndefined();
  });
});

describe('apiBaseUrl: the host header is used only when it is a well-formed host', () => {
  const DOMAIN = 'abc123.execute-api.us-east-1.amazonaws.com';
  const baseFor = (host: string) => apiBaseUrl(httpEvent({ headers: { host, 'x-forwarded-proto': 'https' } }));

  it.each(['orders.example.com', 'orders.example.com:8443', '[2001:db8::1]', '[2001:db8::1]:8443'])('%s: kept', (host) => {
    expect(baseFor(host)).toBe(`https://${host}`);
  });

  it.each([
    ['text before a valid name', 'evil example.com'],
    ['text after a valid name', 'example.com/evil'],
    ['text before an IPv6 literal', 'evil[2001:db8::1]'],
    ['text after an IPv6 literal', '[2001:db8::1]/evil'],
    ['a user part', 'user@example.com'],
    ['a port of six digits', 'example.com:123456'],
  ])('%s (%s): the request domain name instead', (_name, host) => {
    expect(baseFor(host)).toBe(`https://${DOMAIN}`);
  });
});
