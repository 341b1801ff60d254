import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Locale, Role } from '../db/client.ts';
import { normaliseEmail } from './service.ts';

export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 20_000;
export const NAME_MAX_LENGTH = 100;

/** Columns of an import file, in the order the header names them in the error message. */
export const IMPORT_COLUMNS = ['email', 'name', 'role', 'language'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

/** Header names accepted for each column, in English and French, compared without accents. */
const COLUMN_NAMES: Record<string, Column> = {
  email: 'email',
  'e-mail': 'email',
  mail: 'email',
  courriel: 'email',
  'adresse e-mail': 'email',
  name: 'name',
  nom: 'name',
  role: 'role',
  language: 'language',
  langue: 'language',
};

const ROLE_WORDS: Record<string, Role> = {
  requester: 'REQUESTER',
  demandeur: 'REQUESTER',
  demandeuse: 'REQUESTER',
  technician: 'TECHNICIAN',
  technicien: 'TECHNICIAN',
  technicienne: 'TECHNICIAN',
  admin: 'ADMIN',
  administrator: 'ADMIN',
  administrateur: 'ADMIN',
  administratrice: 'ADMIN',
};

const LANGUAGE_WORDS: Record<string, Locale> = {
  fr: 'fr',
  francais: 'fr',
  french: 'fr',
  en: 'en',
  anglais: 'en',
  english: 'en',
};

const emailSchema = z.email().max(254);

export interface ImportRow {
  line: number;
  email: string;
  name: string;
  role: Role;
  locale: Locale;
}

/** A row that is not created, with the locale key of the reason and its parameters. */
export interface ImportProblem {
  line: number;
  email: string;
  reason: string;
  params?: Record<string, string | number>;
}

export type ParsedImport =
  | { status: 'parsed'; rows: ImportRow[]; skipped: ImportProblem[]; rejected: ImportProblem[] }
  | { status: 'invalid'; reason: string; params?: Record<string, string | number> };

/** Lower-cases a word and removes its accents, so "Français" matches "francais". */
function foldWord(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
}

/**
 * Characters of Windows-1252 bytes 0x80 to 0x9F, where it differs from ISO-8859-1. Node 20's
 * TextDecoder('windows-1252') decodes those bytes as ISO-8859-1 control characters.
 */
const WINDOWS_1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

/**
 * Replaces the control characters U+0080 to U+009F with the Windows-1252 characters of the same
 * byte values: text decoded as ISO-8859-1 that contains them was in fact Windows-1252.
 */
export function replaceWindows1252Controls(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (control) => {
    return WINDOWS_1252_HIGH[control.charCodeAt(0) - 0x80];
  });
}

function decodeWindows1252(bytes: Uint8Array): string {
  return replaceWindows1252Controls(new TextDecoder('windows-1252').decode(bytes));
}

/**
 * Decodes a file as UTF-8 (dropping a byte order mark) or, when its bytes are not valid UTF-8
 * and it has no byte order mark, as Windows-1252, the encoding of Excel's "CSV" on French
 * Windows. Invalid bytes after a byte order mark become U+FFFD.
 */
export function decodeCsv(bytes: Uint8Array): string {
  const hasByteOrderMark = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (hasByteOrderMark) return new TextDecoder('utf-8').decode(bytes);
    return decodeWindows1252(bytes);
  }
}

/** Returns the separator of the header line: a semicolon when it has more of them than commas. */
function detectDelimiter(text: string): ';' | ',' {
  const header = text.slice(0, text.search(/\r?\n|$/));
  const semicolons = header.split(';').length;
  const commas = header.split(',').length;
  return semicolons > commas ? ';' : ',';
}

/** Maps each column to its index in the header, or returns null when the header is wrong. */
function readHeader(cells: string[]): Record<Column, number> | null {
  const indexes: Partial<Record<Column, number>> = {};
  for (const [index, cell] of cells.entries()) {
    const name = foldWord(cell);
    if (name === '') continue;
    const column = COLUMN_NAMES[name];
    if (!column || indexes[column] !== undefined) return null;
    indexes[column] = index;
  }
  const complete = IMPORT_COLUMNS.every((column) => indexes[column] !== undefined);
  return complete ? (indexes as Record<Column, number>) : null;
}

interface RecordWithInfo {
  record: string[];
  /** Line number, counted from 1, of the last line of the record. */
  info: { lines: number };
}

type RowCheck = { row: Omit<ImportRow, 'line'> } | { problem: Omit<ImportProblem, 'line'> };

function checkRow(cells: string[], columns: Record<Column, number>): RowCheck {
  const cell = (column: Column) => (cells[columns[column]] ?? '').trim();
  const email = normaliseEmail(cell('email'));
  const name = cell('name');
  const role = cell('role');
  const language = cell('language');

  if (!emailSchema.safeParse(email).success) {
    return { problem: { email: cell('email'), reason: 'admin.users.import.reasons.invalidEmail' } };
  }
  if (name === '') {
    return { problem: { email, reason: 'admin.users.import.reasons.missingName' } };
  }
  if (name.length > NAME_MAX_LENGTH) {
    const params = { max: NAME_MAX_LENGTH };
    return { problem: { email, reason: 'admin.users.import.reasons.nameTooLong', params } };
  }
  const mappedRole = ROLE_WORDS[foldWord(role)];
  if (!mappedRole) {
    const reason = role === '' ? 'missingRole' : 'unknownRole';
    const params = { value: role };
    return { problem: { email, reason: `admin.users.import.reasons.${reason}`, params } };
  }
  const locale = LANGUAGE_WORDS[foldWord(language)];
  if (!locale) {
    const reason = language === '' ? 'missingLanguage' : 'unknownLanguage';
    const params = { value: language };
    return { problem: { email, reason: `admin.users.import.reasons.${reason}`, params } };
  }
  return { row: { email, name, role: mappedRole, locale } };
}

/**
 * Parses and validates an import file without touching the database. Rows that repeat the
 * address of an earlier valid row are skipped. Whether an address is already in the database
 * is checked later, when the users are created.
 */
export function parseImportFile(bytes: Uint8Array): ParsedImport {
  const text = decodeCsv(bytes);
  let records: RecordWithInfo[];
  try {
    // With `info: true` each record comes as { record, info }, which the typings of
    // csv-parse 7 do not express.
    records = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as RecordWithInfo[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines ?? 1;
    return { status: 'invalid', reason: 'admin.users.import.errors.malformed', params: { line } };
  }

  const [header, ...body] = records;
  const columns = header ? readHeader(header.record) : null;
  if (!columns) {
    const expected = IMPORT_COLUMNS.join(', ');
    return { status: 'invalid', reason: 'admin.users.import.errors.header', params: { expected } };
  }
  const data = body.filter(({ record }) => record.some((cell) => cell.trim() !== ''));
  if (data.length === 0) return { status: 'invalid', reason: 'admin.users.import.errors.empty' };
  if (data.length > MAX_IMPORT_ROWS) {
    const params = { count: data.length, max: MAX_IMPORT_ROWS };
    return { status: 'invalid', reason: 'admin.users.import.errors.tooManyRows', params };
  }

  const rows: ImportRow[] = [];
  const skipped: ImportProblem[] = [];
  const rejected: ImportProblem[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { record, info } of data) {
    const line = info.lines;
    const check = checkRow(record, columns);
    if ('problem' in check) {
      rejected.push({ line, ...check.problem });
      continue;
    }
    const firstLine = firstLineOf.get(check.row.email);
    if (firstLine !== undefined) {
      const params = { line: firstLine };
      const reason = 'admin.users.import.reasons.duplicate';
      skipped.push({ line, email: check.row.email, reason, params });
      continue;
    }
    firstLineOf.set(check.row.email, line);
    rows.push({ line, ...check.row });
  }
  return { status: 'parsed', rows, skipped, rejected };
}
