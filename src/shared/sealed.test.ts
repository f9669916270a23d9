import { describe, expect, it } from 'vitest';
import { isSealed, SecretBox } from './sealed.ts';
import { Secret } from './secret.ts';

const box = new SecretBox(new Secret('a-secrets-key-of-at-least-32-characters'));

describe('SecretBox', () => {
  it('seals a value so that it opens only in its own context', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:usr_1');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'totp:usr_1')).toBe('JBSWY3DPEHPK3PXP');
    // Moved to another user's row, it does not open: the context is authenticated.
    expect(() => box.open(sealed, 'totp:usr_2')).toThrow(
      'a sealed secret failed authentication for totp:usr_2',
    );
  });

  it('seals the same value differently each time (a fresh IV)', () => {
    expect(box.seal('whsec_x', 'webhook:we_1')).not.toBe(box.seal('whsec_x', 'webhook:we_1'));
  });

  it('refuses a value altered in storage, without saying what it held', () => {
    const sealed = box.seal('whsec_abcdef', 'webhook:we_1');
    const body = sealed.slice(sealed.lastIndexOf(':') + 1);
    const flipped = Buffer.from(body, 'base64url');
    flipped[14] = (flipped[14] as number) ^ 1;
    const altered = `${sealed.slice(0, sealed.lastIndexOf(':') + 1)}${flipped.toString('base64url')}`;
    expect(() => box.open(altered, 'webhook:we_1')).toThrow(/failed authentication/);
    expect(() => box.open(`${sealed.slice(0, sealed.lastIndexOf(':') + 1)}AAAA`, 'webhook:we_1')).toThrow(
      'a sealed secret is malformed',
    );
  });

  it('names a value sealed under another key instead of opening it wrongly', () => {
    const other = new SecretBox(new Secret('another-secrets-key-of-32-characters!'));
    const sealed = other.seal('whsec_abcdef', 'webhook:we_1');
    expect(() => box.open(sealed, 'webhook:we_1')).toThrow(
      /sealed under another SECRETS_KEY \(key id [0-9a-f]{8}\); when rotating, set the old key as SECRETS_KEY_PREVIOUS/,
    );
  });

  it('opens values sealed under a previous key while sealing new ones under the current key', () => {
    const oldKey = new Secret('a-secrets-key-of-at-least-32-characters');
    const rotated = new SecretBox(new Secret('the-next-secrets-key-of-32-characters!!'), [oldKey]);
    const old = box.seal('whsec_abcdef', 'webhook:we_1');
    expect(rotated.open(old, 'webhook:we_1')).toBe('whsec_abcdef');
    expect(rotated.keyId).not.toBe(box.keyId);
    const fresh = rotated.seal('whsec_abcdef', 'webhook:we_1');
    expect(fresh.startsWith(`sealed:v1:${rotated.keyId}:`)).toBe(true);
    expect(() => box.open(fresh, 'webhook:we_1')).toThrow(/another SECRETS_KEY/);
    // Still bound to its row under the previous key too.
    expect(() => rotated.open(old, 'webhook:we_2')).toThrow(/failed authentication/);
  });

  it('passes a value stored before sealing through as it is', () => {
    expect(isSealed('whsec_plain')).toBe(false);
    expect(box.open('whsec_plain', 'webhook:we_1')).toBe('whsec_plain');
  });
});
