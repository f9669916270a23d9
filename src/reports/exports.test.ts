import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, exportFilename } from './exports.ts';

describe('CSV fields', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+254700000000', "'+254700000000"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['12.50', '12.50'],
  ])('writes %j as %j', (value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it('writes null as an empty field and ends each record with CRLF', () => {
    expect(csvRecord(['a', null, 'b,c'])).toBe('a,,"b,c"\r\n');
  });
});

it('names files by format and UTC time', () => {
  expect(exportFilename('xlsx', new Date('2026-11-23T10:15:00.123Z'))).toBe(
    'transactions-20261123-101500.xlsx',
  );
});
