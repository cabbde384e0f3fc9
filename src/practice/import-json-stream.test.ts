import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numRuns } from '../../test/helpers/seed.js';
import { parseJsonImport, recordsFromDocument } from './import-file.js';
import { ImportDocumentReader, ImportJsonError } from './import-json-stream.js';
import { kindInfo, kinds } from './kinds.js';

/** The reader fed `text` cut at `cuts` (positions, any order), or the error it threw. */
function read(text: string, cuts: number[] = []): ReturnType<ImportDocumentReader['end']> | ImportJsonError {
  const reader = new ImportDocumentReader('request body');
  const at = [...new Set(cuts.map((c) => Math.min(Math.max(0, c), text.length)))].sort((a, b) => a - b);
  try {
    let from = 0;
    for (const c of [...at, text.length]) {
      reader.push(text.slice(from, c));
      from = c;
    }
    return reader.end();
  } catch (err) {
    if (err instanceof ImportJsonError) return err;
    throw err;
  }
}

/** What the reader answered, without the schemaOk marks it adds (recordsFromDocument does not check schemas). */
function plain(r: ReturnType<typeof read>): unknown {
  if (r instanceof Error) return r;
  return { ...r, inputs: r.inputs.map(({ schemaOk: _ok, ...i }) => i) };
}

/** recordsFromDocument, member by member, stopping at the first member it refuses (as the reader does). */
function expectedOf(text: string): unknown {
  const out: { inputs: unknown[]; issues: unknown[]; stoppedAt?: string } = { inputs: [], issues: [] };
  for (const [name, value] of Object.entries(JSON.parse(text) as object)) {
    const r = recordsFromDocument(Object.fromEntries([[name, value]]), 'request body');
    out.inputs.push(...r.inputs);
    if (r.issues.length) {
      out.issues.push(...r.issues);
      out.stoppedAt = `"${name}"`;
      break;
    }
  }
  return out;
}

const fileKeys = kinds.map((k) => kindInfo[k].fileKey);
/** Documents as an importer meets them: kind lists of any JSON, `$schema`, unknown members, values that are not lists. */
const documents = fc.dictionary(
  fc.oneof(fc.constantFrom(...fileKeys, '$schema', '__proto__'), fc.string({ maxLength: 6 })),
  fc.oneof({ weight: 4, arbitrary: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
  { maxKeys: 6 },
);

describe('the import document reader', () => {
  it('reads any document, cut anywhere, to the same records and issues as JSON.parse then recordsFromDocument (up to the first refused member)', () => {
    fc.assert(
      fc.property(documents, fc.constantFrom(0, 2, '\t'), fc.array(fc.nat(), { maxLength: 8 }), (doc, indent, cuts) => {
        const text = JSON.stringify(doc, null, indent);
        const got = read(
          text,
          cuts.map((c) => c % (text.length + 1)),
        );
        expect(plain(got)).toEqual(expectedOf(text));
      }),
      { numRuns: numRuns(400) },
    );
  });

  it('refuses exactly the texts JSON.parse refuses, wherever they are cut', () => {
    const damaged = fc
      .tuple(documents, fc.nat(), fc.constantFrom('', ',', '}', ']', '{', '[', '"', '\\', ':', 'x', '1', ' ', '"a":'), fc.nat(3), fc.array(fc.nat(), { maxLength: 4 }))
      .map(([doc, at, insert, remove, cuts]) => {
        const text = JSON.stringify(doc);
        const i = at % (text.length + 1);
        return { text: text.slice(0, i) + insert + text.slice(i + remove), cuts };
      });
    fc.assert(
      fc.property(damaged, ({ text, cuts }) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const got = read(
          text,
          cuts.map((c) => c % (text.length + 1)),
        );
        // A reader that stopped early (a refused member, a text not starting with {) never read the damage.
        if (!valid && !(got instanceof ImportJsonError)) expect(got.stoppedAt, `${text} (cut at ${cuts.join(',')})`).toBeDefined();
        else expect(got instanceof ImportJsonError, `${text} (cut at ${cuts.join(',')})`).toBe(!valid);
      }),
      { numRuns: numRuns(1000) },
    );
  });

  it('names the record whose text is broken, and where the frame breaks', () => {
    const broken = read('{"contacts": [{"code": "C1"}, {"code": "C2",}]}');
    expect(broken).toBeInstanceOf(ImportJsonError);
    expect((broken as Error).message).toMatch(/^contacts\[1\]: /);
    expect((read('{"contacts": [] "invoices": []}') as Error).message).toMatch(/expected , or \} at character 16 of the file \(after "contacts"\)/);
    // A broken record's position is told in the file, not from the record's start.
    expect((read('{"contacts": [{"code": "C1"}, {"code": "C2",}]}') as Error).message).toMatch(/at character 44 of the file/);
    expect((read('{"contacts": [{"code": "C1"}') as Error).message).toMatch(/ends at character 28 before the document does/);
    expect(parseJsonImport('{"offices": [1,]}', 'x.json').issues[0]?.message).toMatch(/^x\.json: is not valid JSON \(.*\): check the file$/);
  });

  it('refuses a kind listed twice instead of keeping only the last list (as JSON.parse would)', () => {
    const r = read('{"offices": [{"code": "A"}], "contacts": [], "offices": [{"code": "B"}]}');
    expect(r).not.toBeInstanceOf(Error);
    const { inputs, issues } = r as Exclude<typeof r, Error>;
    expect(inputs.map((i) => i.value)).toEqual([{ code: 'A' }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'offices', message: 'request body: offices is listed twice: put all the records of one kind in one list' });
  });

  it('reads a record split inside a string, an escape or a number', () => {
    const text = '{"offices": [{"code": "A\\"\\\\", "name": "x"}], "taxCodes": [{"rateBasisPoints": 1000}]}';
    for (let cut = 0; cut <= text.length; cut++) {
      const r = read(text, [cut]);
      expect(plain(r), `cut at ${cut}`).toEqual(recordsFromDocument(JSON.parse(text), 'request body'));
    }
  });
});
