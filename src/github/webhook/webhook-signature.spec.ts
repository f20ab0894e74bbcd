import { createHmac } from 'node:crypto';
import { isValidSignature } from './webhook-signature';

describe('isValidSignature', () => {
  const secret = "It's a Secret to Everybody";
  const body = Buffer.from('Hello, World!');

  it("accepts GitHub's documented example", () => {
    // From GitHub's "Validating webhook deliveries" documentation.
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(isValidSignature(secret, body, header)).toBe(true);
  });

  it('rejects a wrong, truncated, malformed or missing signature', () => {
    const good = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(isValidSignature(secret, Buffer.from('Hello, World?'), good)).toBe(false);
    expect(isValidSignature('other secret', body, good)).toBe(false);
    expect(isValidSignature(secret, body, good.slice(0, -2))).toBe(false);
    expect(isValidSignature(secret, body, good.replace('sha256=', 'sha1='))).toBe(false);
    expect(isValidSignature(secret, body, 'sha256=not-hex')).toBe(false);
    expect(isValidSignature(secret, body, undefined)).toBe(false);
  });

  it('checks the bytes, not a re-serialisation of the JSON', () => {
    const raw = Buffer.from('{"a": 1,   "b":"é"}');
    const header = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    expect(isValidSignature(secret, raw, header)).toBe(true);
    expect(
      isValidSignature(secret, Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), header),
    ).toBe(false);
  });
});
