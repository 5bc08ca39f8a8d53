import { describe, expect, it } from 'vitest';
import { httpEvent } from './fixtures';
import { apiBaseUrl, bodyBytes, bodyText, isJsonContentType } from '../../../lambdas/api/http';

describe('isJsonContentType and bodyBytes', () => {
  it('application/json with a UTF-8 charset in any of its spellings; any other charset refused', () => {
    for (const ok of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json; charset=utf8', 'application/json; charset="utf-8"'])
      expect(isJsonContentType(ok), ok).toBe(true);
    for (const no of [undefined, '', 'text/plain', 'application/json; charset=latin1', 'application/json; charset='])
      expect(isJsonContentType(no), String(no)).toBe(false);
  });

  it('no body (undefined or null) is zero bytes; a base64 body is decoded', () => {
    expect(bodyBytes({ body: undefined, isBase64Encoded: false })).toHaveLength(0);
    expect(bodyBytes({ body: null as unknown as undefined, isBase64Encoded: false })).toHaveLength(0);
    expect(bodyBytes({ body: Buffer.from('{}').toString('base64'), isBase64Encoded: true }).toString()).toBe('{}');
  });
});

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

describe('apiBaseUrl: the scheme', () => {
  const base = (host: string, proto?: string, o: { rawPath?: string; domainName?: string } = {}) =>
    apiBaseUrl(httpEvent({ ...o, headers: { host, 'x-forwarded-proto': proto ?? '' } }));

  it('x-forwarded-proto decides when it says http or https (its first value, any case, spaces trimmed)', () => {
    expect(base('orders.example.com', 'http')).toBe('http://orders.example.com');
    expect(base('orders.example.com', ' HTTP , https')).toBe('http://orders.example.com');
    expect(base('127.0.0.1:4566', 'https', { domainName: '127.0.0.1' })).toBe('https://127.0.0.1:4566');
    expect(base('orders.example.com', 'gopher')).toBe('https://orders.example.com');
  });

  it.each(['127.0.0.1:4566', '127.10.100.200', 'localhost:4566', 'LOCALHOST', 'abc123.execute-api.localhost:4566', '[::1]:4566', '[::1]'])(
    'without it, http on a loopback host (%s)',
    (host) => {
      expect(base(host, undefined, { domainName: host.replace(/:\d+$/, '') })).toBe(`http://${host}`);
    },
  );

  it.each(['orders.example.com', 'xlocalhost', 'localhost.example.com', '127.0.0.1.example.com', 'evil127.0.0.1', '[::2]'])(
    'without it, https elsewhere (%s)',
    (host) => {
      expect(base(host, undefined, { domainName: host })).toBe(`https://${host}`);
    },
  );
});

describe("apiBaseUrl: the path before /orders, and MiniStack's prefix", () => {
  const ministack = (rawPath: string, stage = '$default') =>
    apiBaseUrl(httpEvent({ rawPath, stage, domainName: 'abc123.execute-api.localhost', headers: { host: '127.0.0.1:4566', 'x-forwarded-proto': '' } }));

  it('puts back the prefix MiniStack strips from rawPath, once, with a named stage after it', () => {
    expect(ministack('/orders')).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123');
    expect(ministack('/_aws/execute-api/abc123/orders')).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123');
    expect(ministack('/orders', 'v1')).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123/v1');
  });

  it('a path without /orders has no prefix of its own (not its last character cut)', () => {
    const aws = (rawPath: string) => apiBaseUrl(httpEvent({ rawPath }));
    expect(aws('/v1/orders/x')).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/v1');
    expect(aws('/health')).toBe('https://abc123.execute-api.us-east-1.amazonaws.com');
  });
});
