/**
 * Reads an import document piece by piece as it arrives, record by record, instead of holding the
 * whole text and parsing it in one `JSON.parse` (seconds for tens of MB on a loaded machine, during
 * which a server answers nothing, and the text held in full beside the records made from it).
 *
 * The document is `{ "<kind list>": [ record, … ], … }`. This reader follows that outer frame itself
 * (the braces, member names, colons, commas) and finds where each record ends by counting brackets
 * outside strings; each record's text then goes to `JSON.parse`, which checks it in full. So what it
 * accepts is exactly valid JSON, and it answers the same records and issues as
 * `recordsFromDocument(JSON.parse(text))`, except where it stops reading early, answering what it
 * has read and `stoppedAt`: a kind listed twice (JSON.parse would silently keep only the last value),
 * a member that is not a kind (refused on its name, before its value is read), a kind whose value is
 * not a list, and MAX_ISSUES refused records (validate.ts). A text whose first character is not `{`
 * is refused on that character, unread. So no single step reads more than one record, and a refused
 * input holds no more than MAX_ISSUES refused records.
 */
import { memberKind, notAnObject, type ParsedImport } from './import-file.js';
import { kindInfo, type Kind } from './kinds.js';
import { issue, reasonCodes, type PracticeIssue } from './reasons.js';
import { MAX_ISSUES } from './validate.js';

/** The text is not JSON; `message` says where (a record, or a character position). */
export class ImportJsonError extends Error {
  override name = 'ImportJsonError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

type State = 'start' | 'afterOpen' | 'beforeName' | 'afterName' | 'beforeValue' | 'arrayOpen' | 'afterElement' | 'beforeElement' | 'afterMember' | 'done' | 'stopped';

/** One JSON value being collected: where it ends is found by counting brackets outside strings. */
interface Value {
  pieces: string[];
  /** 'container' ({…} or […]), 'string' ("…", a member name too) or 'scalar' (number, true, false, null). */
  shape: 'container' | 'string' | 'scalar';
  depth: number;
  inString: boolean;
  escaped: boolean;
}

export class ImportDocumentReader {
  private state: State = 'start';
  private value: Value | undefined;
  /** What the value being read is: a member name, a member's whole value, or one element of a list. */
  private reading: 'name' | 'member' | 'element' = 'name';
  private name = '';
  /** The kind of the list being read; undefined for a member that is not a kind (its elements are still checked as JSON). */
  private kind: Kind | undefined;
  private index = 0;
  /** Characters of the text before the piece being read. */
  private offset = 0;
  /** Where in the text the value being read starts, so a broken record's position is told in the file. */
  private valueStart = 0;
  private readonly names = new Set<string>();
  /** Records refused by their schema so far: reading stops at MAX_ISSUES. */
  private refused = 0;
  private stoppedAt: string | undefined;
  private readonly inputs: ParsedImport['inputs'] = [];
  private readonly issues: ParsedImport['issues'] = [];

  constructor(private readonly fileName = 'import file') {}

  /** True once reading stopped early (see the head of this file): the rest of the text need not be sent. */
  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** The next piece of the text (any size; a piece may end anywhere, even inside a string). */
  push(text: string): void {
    let i = 0;
    const n = text.length;
    while (i < n && !this.stopped) {
      if (this.value) {
        const end = this.scan(text, i);
        if (end < 0) {
          this.value.pieces.push(i === 0 ? text : text.slice(i));
          break;
        }
        this.value.pieces.push(text.slice(i, end));
        i = end;
        this.finishValue();
        continue;
      }
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (this.state) {
        case 'start':
          if (c === OPEN_BRACE) this.state = 'afterOpen';
          else this.stop(notAnObject(this.fileName), 'its first character');
          break;
        case 'afterOpen':
          if (c === CLOSE_BRACE) this.state = 'done';
          else if (c === QUOTE) {
            this.begin('name', 'string', i);
            continue; // the opening quote is read by scan()
          } else this.fail(i, 'a member name or }');
          break;
        case 'beforeName':
          if (c !== QUOTE) this.fail(i, 'a member name');
          this.begin('name', 'string', i);
          continue;
        case 'afterName':
          if (c === COLON) this.state = 'beforeValue';
          else this.fail(i, ':');
          break;
        case 'beforeValue':
          if (c === OPEN_BRACKET) this.openList();
          else if (this.name !== '$schema') this.stop(issue(reasonCodes.badFile, undefined, this.fileName, this.name, 'must be a list of records'), `"${this.name}"`);
          else {
            this.begin('member', shapeOf(c), i);
            continue; // the value's first character is read by scan()
          }
          break;
        case 'arrayOpen':
        case 'beforeElement':
          if (c === CLOSE_BRACKET && this.state === 'arrayOpen') {
            this.closeList();
            break;
          }
          this.begin('element', shapeOf(c), i);
          continue;
        case 'afterElement':
          if (c === COMMA) this.state = 'beforeElement';
          else if (c === CLOSE_BRACKET) this.closeList();
          else this.fail(i, ', or ]');
          break;
        case 'afterMember':
          if (c === COMMA) this.state = 'beforeName';
          else if (c === CLOSE_BRACE) this.state = 'done';
          else this.fail(i, ', or }');
          break;
        case 'done':
          this.fail(i, 'nothing after the closing }');
      }
      i++;
    }
    this.offset += n;
  }

  /** The records and the document's issues; throws ImportJsonError when the text is not JSON. */
  end(): ParsedImport {
    if (this.state === 'stopped') return { inputs: this.inputs, issues: this.issues, ...(this.stoppedAt ? { stoppedAt: this.stoppedAt } : {}) };
    if (this.value?.shape === 'scalar') this.finishValue();
    if (this.state === 'start') throw new ImportJsonError('the text is empty: send a JSON object');
    if (this.state !== 'done' || this.value) throw new ImportJsonError(`the text ends at character ${this.offset} before the document does (is it cut short?)`);
    return { inputs: this.inputs, issues: this.issues };
  }

  private begin(reading: 'name' | 'member' | 'element', shape: Value['shape'], at: number): void {
    this.valueStart = this.offset + at;
    this.reading = reading;
    this.value = { pieces: [], shape, depth: 0, inString: false, escaped: false };
  }

  /** Where the value being read ends in `text` (the index after it), or -1 when it goes on past `text`. */
  private scan(text: string, from: number): number {
    const v = this.value!;
    const n = text.length;
    let i = from;
    if (v.shape === 'scalar') {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || isSpace(c)) return i;
      }
      return -1;
    }
    let { depth, inString, escaped } = v;
    // A string value (or a member name) starts in its opening quote: depth 0, and the quote opens it.
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (depth === 0) {
            v.inString = false;
            return i + 1;
          }
        }
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) {
          v.depth = 0;
          return i + 1;
        }
      }
    }
    v.depth = depth;
    v.inString = inString;
    v.escaped = escaped;
    return -1;
  }

  private finishValue(): void {
    const v = this.value!;
    this.value = undefined;
    const text = v.pieces.length === 1 ? v.pieces[0]! : v.pieces.join('');
    const where = this.reading === 'name' ? `a member name near character ${this.offset}` : this.reading === 'member' ? `"${this.name}"` : `${this.name}[${this.index}]`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // JSON.parse counts from the start of the record's text; say where that is in the file.
      const message = (err as Error).message
        .replace(/ \(line \d+ column \d+\)/, '')
        .replace(/ at position (\d+)/, (_m, pos: string) => ` at character ${this.valueStart + Number(pos)} of the file`);
      throw new ImportJsonError(`${where}: ${message}`);
    }
    if (this.reading === 'name') {
      this.name = parsed as string;
      this.state = 'afterName';
      // Refused on its name, whatever its value: an unknown member's value is never read, a second list never merged.
      const m = this.member();
      if (typeof m === 'object') this.stop(m, `"${this.name}"`);
      else this.kind = m === 'skip' ? undefined : m;
    } else if (this.reading === 'member') {
      this.state = 'afterMember'; // `$schema`: any value
    } else {
      const at = `${this.name}[${this.index}]`;
      if (this.kind) {
        // Checked here, so a file of a million broken records stops at the MAX_ISSUES-th; checkSchemas then
        // skips what passed (schemaOk) and re-checks only the refused, for their messages.
        const ok = kindInfo[this.kind].schema.safeParse(parsed).success;
        this.inputs.push(ok ? { kind: this.kind, value: parsed, at, schemaOk: true } : { kind: this.kind, value: parsed, at });
        if (!ok && ++this.refused + this.issues.length >= MAX_ISSUES) this.stop(undefined, at);
      }
      this.index++;
      if (this.state !== 'stopped') this.state = 'afterElement';
    }
  }

  /** Stops reading: `found` is refused, and nothing after `at` is read. */
  private stop(found: PracticeIssue | undefined, at: string): void {
    if (found) this.issues.push(found);
    this.stoppedAt = at;
    this.state = 'stopped';
    this.value = undefined;
  }

  private openList(): void {
    this.index = 0;
    this.state = 'arrayOpen';
  }

  private closeList(): void {
    this.kind = undefined;
    this.state = 'afterMember';
  }

  /** The member just named: its kind, 'skip' ($schema), or the issue (not a kind, or listed twice). */
  private member(): Kind | 'skip' | PracticeIssue {
    const first = !this.names.has(this.name);
    this.names.add(this.name);
    const m = memberKind(this.name, true, this.fileName);
    if (first || typeof m === 'object') return m;
    return issue(reasonCodes.badFile, undefined, this.fileName, this.name, 'is listed twice: put all the records of one kind in one list');
  }

  private fail(at: number, expected: string): never {
    const after = this.name ? ` (after "${this.name}"${this.kind ? `[${Math.max(0, this.index - 1)}]` : ''})` : '';
    throw new ImportJsonError(`expected ${expected} at character ${this.offset + at} of the file${after}`);
  }
}

function shapeOf(c: number): Value['shape'] {
  return c === OPEN_BRACE || c === OPEN_BRACKET ? 'container' : c === QUOTE ? 'string' : 'scalar';
}
