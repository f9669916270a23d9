/**
 * Transactions as files: CSV, Excel and PDF, each streamed as rows arrive. Amounts are written as
 * the API's decimal strings, never through a float.
 */
import { PassThrough, Readable } from 'node:stream';
import type { TransactionItem } from './transactions.ts';

// exceljs and pdfkit are loaded by the first export that needs them, not by every process at start:
// loaded, they hold 9 and 7 MB of heap (measured with `--expose-gc`), a fifth of the API process's
// live heap under load, which every major collection has to mark again.
const excel = async () => (await import('exceljs')).default;
const pdf = async () => (await import('pdfkit')).default;

export const exportFormats = ['csv', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportContentTypes: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/** At most this many rows in one file (docs/console.md). */
export const exportRowsMax = 100_000;

export interface ExportMeta {
  /** The filters as the caller gave them, shown in the PDF's title. */
  readonly filters: Readonly<Record<string, string | number | undefined>>;
  readonly generatedAt: Date;
  /** Rows the file will hold (counted before the first byte). */
  readonly count: number;
}

const columns = [
  'id',
  'created_at',
  'type',
  'status',
  'provider',
  'currency',
  'amount',
  'fee',
  'user_id',
  'counterparty_user_id',
  'merchant_id',
] as const satisfies readonly (keyof TransactionItem)[];

const cells = (item: TransactionItem): (string | null)[] => columns.map((c) => item[c]);

/** `transactions-20261123-101500.csv`: sorts by time, safe in any file system. */
export function exportFilename(format: ExportFormat, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `transactions-${stamp}.${format}`;
}

// A cell a spreadsheet would run as a formula (=, +, -, @) or whose leading tab or carriage return
// hides such a start. Prefixed with ' it stays text.
const formulaStart = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180), defused against formula injection. */
export function csvField(value: string | null): string {
  if (value === null || value === '') return '';
  const text = formulaStart.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRecord(values: readonly (string | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

async function* csvChunks(rows: AsyncIterable<TransactionItem>): AsyncGenerator<string> {
  let chunk = csvRecord(columns);
  for await (const item of rows) {
    chunk += csvRecord(cells(item));
    // Tens of kilobytes per write, not one write per row.
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

/**
 * Waits while the consumer is behind, so a slow download doesn't pile the whole file up in memory;
 * stops the export (and its reads) once the download is gone.
 */
async function drained(out: PassThrough): Promise<void> {
  if (out.writableNeedDrain && !out.destroyed) {
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.once('drain', done);
      out.once('close', done);
    });
  }
  if (out.destroyed) throw new Error('export stream closed before the end');
}

// Amounts stay text: a number cell is a double, which can't hold every 18-decimal ETH amount or a
// large BTC one exactly. Right-aligned so they still read as figures.
async function writeXlsx(out: PassThrough, rows: AsyncIterable<TransactionItem>): Promise<void> {
  const ExcelJS = await excel();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true });
  const sheet = workbook.addWorksheet('Transactions', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({
    header: c,
    key: c,
    width: c.endsWith('id') ? 32 : 16,
    ...(c === 'amount' || c === 'fee' ? { style: { alignment: { horizontal: 'right' as const } } } : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  for await (const item of rows) {
    sheet.addRow(cells(item)).commit();
    await drained(out);
  }
  sheet.commit();
  await workbook.commit();
}

const pdfColumns: readonly { title: string; width: number; value: (t: TransactionItem) => string }[] = [
  { title: 'Created (UTC)', width: 100, value: (t) => t.created_at.replace('T', ' ').slice(0, 19) },
  { title: 'ID', width: 122, value: (t) => t.id },
  { title: 'Type', width: 58, value: (t) => t.type },
  { title: 'Status', width: 62, value: (t) => t.status },
  { title: 'Provider', width: 50, value: (t) => t.provider ?? '' },
  { title: 'Amount', width: 80, value: (t) => t.amount },
  { title: 'Fee', width: 50, value: (t) => t.fee },
  { title: 'Cur.', width: 30, value: (t) => t.currency },
  { title: 'User / merchant', width: 109, value: (t) => t.user_id ?? t.merchant_id ?? '' },
  { title: 'Counterparty', width: 109, value: (t) => t.counterparty_user_id ?? '' },
];
const rightAligned = new Set(['Amount', 'Fee']);
const pdfMargin = 36;
const rowHeight = 11;

function pdfRow(doc: PDFKit.PDFDocument, values: readonly string[], y: number): void {
  let x = pdfMargin;
  pdfColumns.forEach((column, i) => {
    doc.text(values[i] ?? '', x, y, {
      width: column.width - 4,
      lineBreak: false,
      align: rightAligned.has(column.title) ? 'right' : 'left',
    });
    x += column.width;
  });
}

function pdfHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.font('Helvetica-Bold');
  pdfRow(
    doc,
    pdfColumns.map((c) => c.title),
    y,
  );
  doc.font('Helvetica');
  return y + rowHeight + 3;
}

function filtersLine(filters: ExportMeta['filters']): string {
  const given = Object.entries(filters).filter(([, v]) => v !== undefined && v !== '');
  return given.length === 0 ? 'Filters: none' : `Filters: ${given.map(([k, v]) => `${k}=${v}`).join(', ')}`;
}

async function writePdf(
  out: PassThrough,
  rows: AsyncIterable<TransactionItem>,
  meta: ExportMeta,
): Promise<void> {
  const PDFDocument = await pdf();
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: pdfMargin, bufferPages: false });
  doc.info.Title = 'ChatPay transactions';
  doc.info.CreationDate = meta.generatedAt;
  doc.pipe(out);
  doc.font('Helvetica-Bold').fontSize(14).text('ChatPay transactions', pdfMargin, pdfMargin);
  doc.font('Helvetica').fontSize(9);
  doc.text(filtersLine(meta.filters));
  doc.text(`Generated ${meta.generatedAt.toISOString()}; ${meta.count} transactions`);
  doc.fontSize(7);
  const bottom = doc.page.height - pdfMargin - rowHeight;
  let y = pdfHeader(doc, doc.y + 8);
  let written = 0;
  for await (const item of rows) {
    if (y > bottom) {
      doc.addPage();
      y = pdfHeader(doc, pdfMargin);
    }
    const values = pdfColumns.map((c) => c.value(item));
    pdfRow(doc, values, y);
    y += rowHeight;
    written++;
    await drained(out);
  }
  if (y > bottom) doc.addPage();
  doc.text(`${written} transactions`, pdfMargin, y > bottom ? pdfMargin : y + 4);
  // Also in the document's metadata, where a program can read it without parsing the page.
  doc.info.Subject = `${written} transactions`;
  doc.end();
}

/** The file as a stream; a failure half-way destroys it, so the download fails rather than looking complete. */
export function exportStream(
  format: ExportFormat,
  rows: AsyncIterable<TransactionItem>,
  meta: ExportMeta,
): Readable {
  if (format === 'csv') return Readable.from(csvChunks(rows));
  const out = new PassThrough();
  const write = format === 'xlsx' ? writeXlsx(out, rows) : writePdf(out, rows, meta);
  write.catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}
