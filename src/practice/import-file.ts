/**
 * The import file: one JSON document holding records of every kind, or one CSV per kind. Its JSON
 * Schema is generated from the same zod schemas (`npm run schema` writes
 * docs/practice-import.schema.json); the importer validates with those zod schemas, so the published
 * schema and the checks cannot drift apart.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { kindFromName, kindInfo, kinds, type Kind } from './kinds.js';
import { ImportDocumentReader, ImportJsonError } from './import-json-stream.js';
import { issue, reasonCodes, say, type PracticeIssue } from './reasons.js';
import type { InputRecord } from './validate.js';

const fileShape = Object.fromEntries(
  kinds.map((k) => {
    const i = kindInfo[k];
    const description = `${i.label} records (natural key: ${i.keyField}${i.childField ? `; ${i.childField} inside each record` : ''}). Records may refer to records earlier or later in the same document, or already stored.`;
    return [i.fileKey, z.array(i.schema).optional().describe(description)];
  }),
);

/** The whole import document. */
export const importFileSchema = z.strictObject({ $schema: z.string().optional(), ...fileShape });

export const jsonSchemaId = 'urn:qbo-connect:practice-import:v1';

/** The published JSON Schema of the import document (draft 2020-12), as committed in docs/. */
export function practiceImportJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(importFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    $id: jsonSchemaId,
    title: 'QBO Connect practice ledger import',
    description:
      'Records of a practice ledger, any kinds, in one document. Money is integer cents; dates are YYYY-MM-DD; references name other records by natural key (code, unique ID or number). Importing is all-or-nothing and idempotent by natural key.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export interface ParsedImport {
  inputs: InputRecord[];
  issues: PracticeIssue[];
  /** Where reading stopped early because enough records were refused already (validate.ts MAX_ISSUES). */
  stoppedAt?: string;
}

/**
 * The records of a JSON import document; structural problems (not an object, unknown kind) as issues.
 * Read record by record (import-json-stream.ts), so a kind listed twice is named, not half dropped.
 */
export function parseJsonImport(text: string, fileName = 'import file'): ParsedImport {
  // A leading UTF-8 byte order mark (Excel and Notepad write one) is not part of the document: skipped,
  // as the HTTP API's TextDecoder does, so a file is accepted the same by the CLI and the API.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const reader = new ImportDocumentReader(fileName);
  try {
    reader.push(text);
    return reader.end();
  } catch (err) {
    if (!(err instanceof ImportJsonError)) throw err;
    return { inputs: [], issues: [issue(reasonCodes.badFile, undefined, fileName, '', `is not valid JSON (${err.message}): check the file`)] };
  }
}

/** The issue for a document that is not an object of lists. */
export function notAnObject(fileName: string): PracticeIssue {
  return issue(reasonCodes.badFile, undefined, fileName, '', 'must be a JSON object with one list per kind, e.g. {"contacts": […], "invoices": […]}');
}

/** What a member of the document holds: a kind's list, nothing to read (`$schema`), or the issue that says why not. */
export function memberKind(name: string, isList: boolean, fileName: string): Kind | 'skip' | PracticeIssue {
  if (name === '$schema') return 'skip';
  const kind = kinds.find((k) => kindInfo[k].fileKey === name);
  if (!kind) return issue(reasonCodes.unknownKind, undefined, fileName, name, `is not a kind of record; use one of ${kinds.map((k) => kindInfo[k].fileKey).join(', ')}`);
  if (!isList) return issue(reasonCodes.badFile, undefined, fileName, name, 'must be a list of records');
  return kind;
}

export function recordsFromDocument(doc: unknown, fileName = 'import file'): ParsedImport {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { inputs: [], issues: [notAnObject(fileName)] };
  const inputs: InputRecord[] = [];
  const issues: PracticeIssue[] = [];
  for (const [name, value] of Object.entries(doc)) {
    const kind = memberKind(name, Array.isArray(value), fileName);
    if (kind === 'skip') continue;
    if (typeof kind === 'object') {
      issues.push(kind);
      continue;
    }
    (value as unknown[]).forEach((v, i) => inputs.push({ kind, value: v, at: `${name}[${i}]` }));
  }
  return { inputs, issues };
}

// ---- CSV ------------------------------------------------------------------------------------------

type FieldType = 'integer' | 'boolean' | 'string' | 'other';

/** Field types of a kind (and of its child rows), read off the JSON Schema so CSV text becomes the right JSON type. */
function fieldTypes(kind: Kind): { header: Map<string, FieldType>; child: Map<string, FieldType>; required: Set<string> } {
  const js = z.toJSONSchema(kindInfo[kind].schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonProp>; required?: string[] };
  const typeOf = (p: JsonProp): FieldType => {
    const t = p.type ?? p.anyOf?.map((a) => a.type).find((x) => x && x !== 'null');
    return t === 'integer' || t === 'number' ? 'integer' : t === 'boolean' ? 'boolean' : t === 'string' ? 'string' : 'other';
  };
  const header = new Map<string, FieldType>();
  const child = new Map<string, FieldType>();
  for (const [name, p] of Object.entries(js.properties)) header.set(name, typeOf(p));
  const childField = kindInfo[kind].childField;
  const items = childField ? js.properties[childField]?.items : undefined;
  if (items?.properties) for (const [name, p] of Object.entries(items.properties)) child.set(name, typeOf(p));
  // An empty cell is an absent value, except for required text (a line's description may be empty).
  const required = new Set([...(js.required ?? []), ...(items?.required ?? []).map((f) => `${childField}.${f}`)]);
  return { header, child, required };
}
interface JsonProp {
  type?: string;
  anyOf?: JsonProp[];
  items?: { properties?: Record<string, JsonProp>; required?: string[] };
  properties?: Record<string, JsonProp>;
}

/** CSV text to JSON values; text that does not fit is left as text, so the schema names the field. */
function coerce(text: string, type: FieldType): unknown {
  if (type === 'integer' && /^-?\d{1,16}$/.test(text.trim())) return Number(text.trim());
  if (type === 'boolean') {
    const t = text.trim().toLowerCase();
    if (['true', 'yes', '1', 'y'].includes(t)) return true;
    if (['false', 'no', '0', 'n'].includes(t)) return false;
  }
  return text;
}

/**
 * One CSV per kind. Columns are the record's fields; child rows (invoice lines, project stages,
 * payment allocations) use prefixed columns (`lines.amountCents`) and one CSV row per child, the
 * header fields repeated on each row of the same record (rows with the same key are one record).
 */
export function parseCsvImport(text: string, kind: Kind, fileName: string): ParsedImport {
  let rows: string[][];
  try {
    rows = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    return { inputs: [], issues: [issue(reasonCodes.badFile, undefined, fileName, '', `is not valid CSV (${(err as Error).message}): check the file`)] };
  }
  const [head, ...body] = rows;
  if (!head) return { inputs: [], issues: [issue(reasonCodes.badFile, undefined, fileName, '', 'is empty: the first row must name the columns')] };
  const info = kindInfo[kind];
  const types = fieldTypes(kind);
  const issues: PracticeIssue[] = [];
  const childPrefix = info.childField ? `${info.childField}.` : undefined;
  const firstAt = new Map<string, number>();
  head.forEach((col, i) => {
    // A column named twice would silently keep only its last cell.
    const before = firstAt.get(col);
    if (before !== undefined) issues.push(issue(reasonCodes.badFile, undefined, fileName, `column ${i + 1} "${col}"`, `repeats column ${before + 1}: name each field once`));
    else firstAt.set(col, i);
    const known = childPrefix && col.startsWith(childPrefix) ? types.child.has(col.slice(childPrefix.length)) : col !== info.childField && types.header.has(col);
    if (!known)
      issues.push(issue(reasonCodes.badFile, undefined, fileName, `column ${i + 1} "${col}"`, `is not a field of ${info.label} records (see docs/practice-import.schema.json)`));
  });
  if (issues.length) return { inputs: [], issues };

  const records = new Map<string, { value: Record<string, unknown>; at: string; rowNo: number; cells: string[] }>();
  const inputs: InputRecord[] = [];
  const isChildColumn = (col: string) => childPrefix !== undefined && col.startsWith(childPrefix);
  const shown = (cell: string) => (cell === '' ? 'empty' : JSON.stringify(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell));
  body.forEach((cells, r) => {
    const rowNo = r + 2; // the header is row 1
    const headerValues: Record<string, unknown> = {};
    const childValues: Record<string, unknown> = {};
    head.forEach((col, i) => {
      const cell = cells[i] ?? '';
      if (
        cell === '' &&
        !(types.required.has(col) && (childPrefix && col.startsWith(childPrefix) ? types.child.get(col.slice(childPrefix.length)) : types.header.get(col)) === 'string')
      )
        return;
      if (childPrefix && col.startsWith(childPrefix)) {
        const f = col.slice(childPrefix.length);
        childValues[f] = coerce(cell, types.child.get(f)!);
      } else headerValues[col] = coerce(cell, types.header.get(col)!);
    });
    // A row whose child columns are all empty carries no child row.
    if (!Object.values(childValues).some((v) => v !== '')) for (const f of Object.keys(childValues)) delete childValues[f];
    const key = headerValues[info.keyField];
    const existing = typeof key === 'string' ? records.get(key) : undefined;
    if (existing && typeof key === 'string') {
      const at = `${fileName} rows ${existing.rowNo} and ${rowNo}`;
      // A kind without child rows has one row per record: a second row is a second record.
      if (!info.childField) {
        issues.push(issue(reasonCodes.duplicateKey, kind, key, info.keyField, say.duplicateInFile(key), at));
        return;
      }
      // The document's own fields are repeated on each of its rows; a row that gives another value
      // (a date, a contact) would be silently dropped, so the rows must agree.
      head.forEach((col, i) => {
        if (isChildColumn(col)) return;
        const first = existing.cells[i] ?? '';
        const here = cells[i] ?? '';
        if (first !== here) {
          issues.push(
            issue(
              reasonCodes.rowsDisagree,
              kind,
              key,
              col,
              `is ${shown(first)} on row ${existing.rowNo} but ${shown(here)} on row ${rowNo}: the rows of one ${info.label} (one per ${info.childField} entry) must repeat the same ${col}`,
              at,
            ),
          );
        }
      });
      if (Object.keys(childValues).length) (existing.value[info.childField] as unknown[]).push(childValues);
      return;
    }
    const value: Record<string, unknown> = { ...headerValues };
    if (info.childField) value[info.childField] = Object.keys(childValues).length ? [childValues] : [];
    const at = `${fileName} row ${rowNo}`;
    if (typeof key === 'string') records.set(key, { value, at, rowNo, cells });
    inputs.push({ kind, value, at });
  });
  return { inputs, issues };
}

/** A file by name: `.json` is a whole document; `.csv` is one kind, from `kind` or from the file name (`credit-notes.csv`). */
export function parseImportFile(fileName: string, text: string, kind?: Kind): ParsedImport {
  if (/\.csv$/i.test(fileName) || kind) {
    const k = kind ?? kindFromName(fileName.split(/[\\/]/).pop() ?? fileName);
    if (!k) {
      return {
        inputs: [],
        issues: [
          issue(
            reasonCodes.unknownKind,
            undefined,
            fileName,
            '',
            `does not say which kind of record it holds: name it after the kind (e.g. invoices.csv) or pass --kind (${kinds.join(', ')})`,
          ),
        ],
      };
    }
    return parseCsvImport(text, k, fileName.split(/[\\/]/).pop() ?? fileName);
  }
  return parseJsonImport(text, fileName.split(/[\\/]/).pop() ?? fileName);
}

// ---- writing (export, and CSV templates) -------------------------------------------------------------

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Records of one kind as CSV in the layout parseCsvImport reads (one row per child row). */
export function recordsToCsv(kind: Kind, records: ReadonlyArray<object>): string {
  const info = kindInfo[kind];
  const types = fieldTypes(kind);
  const header = [...types.header.keys()].filter((f) => f !== info.childField);
  const child = info.childField ? [...types.child.keys()] : [];
  const lines = [[...header, ...child.map((f) => `${info.childField}.${f}`)].join(',')];
  for (const rec of records) {
    const r = rec as Record<string, unknown>;
    const head = header.map((f) => csvCell(r[f]));
    const kids = info.childField ? ((r[info.childField] as Array<Record<string, unknown>> | undefined) ?? []) : [];
    if (!kids.length) lines.push([...head, ...child.map(() => '')].join(','));
    for (const k of kids) lines.push([...head, ...child.map((f) => csvCell(k[f]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}
