import { parse } from 'csv-parse/sync';
import { badRequest } from '../errors';

/**
 * CSV bytes as text: UTF-8 with or without a BOM, or GB18030 as Excel on a Chinese Windows saves it.
 * Valid UTF-8 is taken as UTF-8 (GB18030 text of any length is almost never valid UTF-8).
 */
export function decodeCsv(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/**
 * The longest row taken, in characters. Import rows are a few hundred characters; a line of megabytes is not
 * a row of either spreadsheet, and is refused when it is met rather than after being read whole.
 */
export const MAX_CSV_RECORD_CHARS = 64 * 1024;

export interface CsvRow {
  /** Line in the file where the row starts (the header is line 1). */
  line: number;
  values: Record<string, string>;
}

/**
 * Parses CSV text whose first line names the columns. Every name in `required` must be present (in any
 * order); a bad header refuses the whole file, since no row could be read right.
 */
export function parseCsv(text: string, required: readonly string[], maxRows: number): CsvRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // Newlines normalized first: csv-parse counts a CRLF inside a quoted cell as two lines. Rows of empty
    // cells are what Excel leaves below a table.
    records = parse(text.replace(/\r\n?/g, '\n'), {
      info: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      trim: true,
      max_record_size: MAX_CSV_RECORD_CHARS,
    }) as unknown as typeof records;
  } catch (err) {
    throw badRequest('malformed_csv', `the CSV cannot be read: ${(err as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw badRequest('empty_csv', 'the CSV has no header line');
  const names = header.record.map((h) => h.trim().toLowerCase());
  const missing = required.filter((r) => !names.includes(r));
  if (missing.length) throw badRequest('invalid_header', `the header lacks ${missing.join(', ')}; expected ${required.join(',')}`);
  if (rows.length > maxRows) throw badRequest('too_many_rows', `at most ${maxRows} rows in one import`);
  return rows.map(({ record, info }) => {
    const values: Record<string, string> = {};
    names.forEach((name, i) => (values[name] = record[i] ?? ''));
    // csv-parse reports the line where a record ends; a quoted field may span lines.
    const spans = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    return { line: info.lines - spans, values };
  });
}
