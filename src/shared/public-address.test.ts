import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  isPublicAddress,
  NonPublicAddressError,
  nonPublicHost,
  publicOnlyLookup,
  type Resolve,
} from './public-address.ts';

describe('isPublicAddress', () => {
  it.each([
    '0.0.0.0',
    '10.0.0.1',
    '100.64.0.1',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.2.1',
    '192.168.0.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    'not an address',
    '',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('nonPublicHost', () => {
  it('refuses private literals and localhost names, and leaves other names to the lookup', () => {
    expect(nonPublicHost(new URL('http://[::1]:80/'))).toBe('::1 is not a public address');
    expect(nonPublicHost(new URL('http://localhost./'))).toBe('localhost is this machine');
    expect(nonPublicHost(new URL('http://x.localhost/'))).toBe('x.localhost is this machine');
    expect(nonPublicHost(new URL('https://8.8.8.8/'))).toBeUndefined();
    expect(nonPublicHost(new URL('https://shop.example/'))).toBeUndefined();
  });
});

function lookupWith(addresses: LookupAddress[]) {
  const resolve: Resolve = (_hostname, callback) => callback(null, addresses);
  const lookup = publicOnlyLookup(resolve);
  return (all: boolean) =>
    new Promise<{ error: Error | null; result: unknown[] }>((done) =>
      lookup('shop.example', { all }, (error, ...result) => done({ error, result })),
    );
}

describe('publicOnlyLookup', () => {
  it('answers with the public addresses, in either of the shapes net asks for', async () => {
    const lookup = lookupWith([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
    expect(await lookup(true)).toEqual({
      error: null,
      result: [
        [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:4700::1111', family: 6 },
        ],
      ],
    });
    expect(await lookup(false)).toEqual({ error: null, result: ['93.184.216.34', 4] });
  });

  it('refuses a name with any private address among its answers', async () => {
    const { error } = await lookupWith([
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ])(true);
    expect(error).toBeInstanceOf(NonPublicAddressError);
    expect(error?.message).toBe('shop.example resolves to 10.0.0.7, not public');
  });

  it('passes a resolver error through', async () => {
    const resolve: Resolve = (_hostname, callback) =>
      callback(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }), []);
    const error = await new Promise<Error | null>((done) =>
      publicOnlyLookup(resolve)('x', {}, (e) => done(e)),
    );
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
