import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../src/config/schema.ts';
import { accountResultCodes, transferResultCodes } from '../src/ledger/index.ts';
import { errorCatalogue } from '../src/shared/errors.ts';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('documentation stays in step with the code', () => {
  it('documents every error code in docs/errors.md', () => {
    const doc = read('docs/errors.md');
    expect(Object.keys(errorCatalogue).filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it('documents every ledger result in docs/ledger.md', () => {
    const doc = read('docs/ledger.md');
    const codes = [...transferResultCodes, ...accountResultCodes];
    expect(codes.filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it("lists every environment variable in the README's configuration table", () => {
    const readme = read('README.md');
    const names = Object.keys(envSchema.properties);
    expect(names.filter((name) => !readme.includes(`| \`${name}\``))).toEqual([]);
  });
});
