import { describe, expect, it } from 'vitest';
import { socketDirFor } from './embedded.ts';

describe('the embedded PostgreSQL socket directory', () => {
  it('is the server directory when the socket path fits, none (TCP only) when it would not', () => {
    expect(socketDirFor('/var/lib/chatpay/postgres', 54321)).toBe('/var/lib/chatpay/postgres');
    const long = `/srv/${'a'.repeat(80)}/postgres`; // + "/.s.PGSQL.54321": 106 bytes
    expect(socketDirFor(long, 54321)).toBeUndefined();
    const edge = `/${'b'.repeat(103 - '/.s.PGSQL.54321'.length - 1)}`;
    expect(Buffer.byteLength(`${edge}/.s.PGSQL.54321`)).toBe(103);
    expect(socketDirFor(edge, 54321)).toBe(edge);
  });
});
