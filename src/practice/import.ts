/**
 * Importing into the practice ledger: a whole file at once, all or nothing, idempotent by natural
 * key. The answer is a report that lists EVERY problem (record, field, sentence) or what changed.
 */
import type { Db } from '../store/db.js';
import { parseImportFile, recordsFromDocument } from './import-file.js';
import { kindInfo, kinds, type Kind } from './kinds.js';
import type { PracticeIssue } from './reasons.js';
import { allRecordsOf, checkRecords, PracticeError, putRecords, type WriteSummary } from './store.js';
import { timeSlicer, type Pause } from './time-slice.js';
import { MAX_ISSUES, type InputRecord, type Omitted } from './validate.js';

export interface ImportReport extends WriteSummary {
  ok: boolean;
  /** Records read from the input. */
  records: number;
  /** The problems, at most MAX_ISSUES of them (validate.ts); when there is one, nothing was written. */
  issues: PracticeIssue[];
  /** Present when the list is capped: how many more problems were found, how many records were not checked, in a sentence. */
  more?: Omitted & { message: string };
}

/** The sentence for what a capped report leaves out, or undefined when it leaves nothing out. */
function moreOf(omitted: Omitted, stoppedAt: string | undefined): ImportReport['more'] {
  if (!omitted.issues && !omitted.records && !stoppedAt) return undefined;
  const parts: string[] = [];
  if (omitted.issues) parts.push(`${omitted.issues} more problem${omitted.issues === 1 ? ' was' : 's were'} found and not listed (at most ${MAX_ISSUES} are)`);
  if (stoppedAt) parts.push(`reading stopped at ${stoppedAt}, so the rest of the input was not checked`);
  else if (omitted.records) parts.push(`${omitted.records} more record${omitted.records === 1 ? ' was' : 's were'} not checked (checking stops after ${MAX_ISSUES} problems)`);
  return { ...omitted, message: `${parts.join('; ')}: correct these and import again.` };
}

const empty = { created: 0, updated: 0, unchanged: 0, byKind: {} };

/**
 * Validates and writes records in one transaction; never throws for bad input. A large import yields
 * to the event loop as it goes (time-slice.ts), so a server keeps answering while it runs.
 */
export async function importRecords(
  db: Db,
  practiceId: string,
  inputs: InputRecord[],
  now: Date,
  parseIssues: PracticeIssue[] = [],
  pause: Pause = timeSlicer(),
  stoppedAt?: string,
): Promise<ImportReport> {
  const refused = (issues: PracticeIssue[], omitted: Omitted): ImportReport => {
    const more = moreOf({ issues: omitted.issues + Math.max(0, issues.length - MAX_ISSUES), records: omitted.records }, stoppedAt);
    return { ok: false, records: inputs.length, issues: issues.slice(0, MAX_ISSUES), ...(more ? { more } : {}), ...empty };
  };
  // A file with structural problems is refused, but its records are still checked: the report lists everything.
  if (parseIssues.length || stoppedAt) {
    if (parseIssues.length >= MAX_ISSUES) return refused(parseIssues, { issues: 0, records: inputs.length });
    const checked = await checkRecords(db, practiceId, inputs, pause);
    return refused([...parseIssues, ...checked.issues], checked.omitted);
  }
  try {
    const summary = await putRecords(db, practiceId, inputs, now, pause);
    return { ok: true, records: inputs.length, issues: [], ...summary };
  } catch (err) {
    if (err instanceof PracticeError) return refused(err.issues, err.omitted);
    throw err;
  }
}

/** Imports a JSON document already parsed (the JSON API's bulk import). */
export async function importDocument(db: Db, practiceId: string, doc: unknown, now: Date): Promise<ImportReport> {
  const { inputs, issues } = recordsFromDocument(doc, 'request body');
  return importRecords(db, practiceId, inputs, now, issues);
}

/** Imports one file's text: `.json` (all kinds) or `.csv` (one kind, from the name or `kind`). */
export async function importFile(db: Db, practiceId: string, fileName: string, text: string, now: Date, kind?: Kind): Promise<ImportReport> {
  const { inputs, issues, stoppedAt } = parseImportFile(fileName, text, kind);
  return importRecords(db, practiceId, inputs, now, issues, undefined, stoppedAt);
}

/** One practice's whole ledger as an import document (what `importDocument` reads back to the same content). */
export async function exportDocument(db: Db, practiceId: string): Promise<Record<string, object[]>> {
  const doc: Record<string, object[]> = {};
  for (const kind of kinds) {
    const records = await allRecordsOf(db, practiceId, kind);
    if (records.length) doc[kindInfo[kind].fileKey] = records as object[];
  }
  return doc;
}
