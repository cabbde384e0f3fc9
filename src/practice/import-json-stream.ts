/**
 * Reads an import document piece by piece as it arrives, record by record, instead of holding the
 * whole text and parsing it in one `JSON.parse` (seconds for tens of MB on a loaded machine, during
 * which a server answers nothing, and the text held in full beside the records made from it).
 *
 * The document is `{ "<kind list>": [ record, … ], … }`. This reader follows that outer frame itself
 * (the braces, member names, colons, commas) and finds where each record ends by counting brackets
 * outside strings; each record's text then goes to `JSON.parse`, which checks it in full. So what it
 * accepts is exactly valid JSON, and it answers the same records and issues as
 * `recordsFromDocument(JSON.parse(text))`, except that a kind listed twice is refused (JSON.parse
 * would silently keep only the last list). A document that is not an object is read whole and parsed
 * at the end, to tell "not JSON" from "not an object".
 */
import { memberKind, notAnObject, type ParsedImport } from './import-file.js';
import type { Kind } from './kinds.js';
import { issue, reasonCodes, type PracticeIssue } from './reasons.js';

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

type State = 'start' | 'afterOpen' | 'beforeName' | 'afterName' | 'beforeValue' | 'arrayOpen' | 'afterElement' | 'beforeElement' | 'afterMember' | 'done' | 'whole';

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
  private offset = 0;
  private readonly names = new Set<string>();
  private readonly whole: string[] = [];
  private readonly inputs: ParsedImport['inputs'] = [];
  private readonly issues: ParsedImport['issues'] = [];

  constructor(private readonly fileName = 'import file') {}

  /** The next piece of the text (any size; a piece may end anywhere, even inside a string). */
  push(text: string): void {
    let i = 0;
    const n = text.length;
    while (i < n) {
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
      if (this.state === 'whole') {
        this.whole.push(i === 0 ? text : text.slice(i));
        break;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (this.state) {
        case 'start':
          if (c === OPEN_BRACE) this.state = 'afterOpen';
          else {
            this.state = 'whole';
            continue;
          }
          break;
        case 'afterOpen':
          if (c === CLOSE_BRACE) this.state = 'done';
          else if (c === QUOTE) {
            this.begin('name', 'string');
            continue; // the opening quote is read by scan()
          } else this.fail(i, 'a member name or }');
          break;
        case 'beforeName':
          if (c !== QUOTE) this.fail(i, 'a member name');
          this.begin('name', 'string');
          continue;
        case 'afterName':
          if (c === COLON) this.state = 'beforeValue';
          else this.fail(i, ':');
          break;
        case 'beforeValue':
          if (c === OPEN_BRACKET) this.openList();
          else {
            this.begin('member', shapeOf(c));
            continue; // the value's first character is read by scan()
          }
          break;
        case 'arrayOpen':
        case 'beforeElement':
          if (c === CLOSE_BRACKET && this.state === 'arrayOpen') {
            this.closeList();
            break;
          }
          this.begin('element', shapeOf(c));
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
    if (this.value?.shape === 'scalar') this.finishValue();
    if (this.state === 'whole' || this.state === 'start') {
      // Only a document that is not an object (or no document at all) reaches here: an object is read member by member.
      try {
        JSON.parse(this.whole.join(''));
      } catch (err) {
        throw new ImportJsonError((err as Error).message);
      }
      return { inputs: [], issues: [notAnObject(this.fileName)] };
    }
    if (this.state !== 'done' || this.value) throw new ImportJsonError(`the text ends at character ${this.offset} before the document does (is it cut short?)`);
    return { inputs: this.inputs, issues: this.issues };
  }

  private begin(reading: 'name' | 'member' | 'element', shape: Value['shape']): void {
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
      throw new ImportJsonError(`${where}: ${(err as Error).message}`);
    }
    if (this.reading === 'name') {
      this.name = parsed as string;
      this.state = 'afterName';
    } else if (this.reading === 'member') {
      // Not a list: `$schema`, or a mistake the member check names.
      const m = this.member(false);
      if (typeof m === 'object') this.issues.push(m);
      this.state = 'afterMember';
    } else {
      if (this.kind) this.inputs.push({ kind: this.kind, value: parsed, at: `${this.name}[${this.index}]` });
      this.index++;
      this.state = 'afterElement';
    }
  }

  private openList(): void {
    const m = this.member(true);
    this.kind = typeof m === 'string' && m !== 'skip' ? m : undefined;
    if (typeof m === 'object') this.issues.push(m);
    this.index = 0;
    this.state = 'arrayOpen';
  }

  private closeList(): void {
    this.kind = undefined;
    this.state = 'afterMember';
  }

  /** The member just named: its kind, 'skip' ($schema, or a name already reported), or the issue. */
  private member(isList: boolean): Kind | 'skip' | PracticeIssue {
    const first = !this.names.has(this.name);
    this.names.add(this.name);
    const m = memberKind(this.name, isList, this.fileName);
    if (first || m === 'skip') return m;
    if (typeof m === 'string') return issue(reasonCodes.badFile, undefined, this.fileName, this.name, 'is listed twice: put all the records of one kind in one list');
    return 'skip';
  }

  private fail(at: number, expected: string): never {
    const after = this.name ? ` (after "${this.name}"${this.kind ? `[${Math.max(0, this.index - 1)}]` : ''})` : '';
    throw new ImportJsonError(`expected ${expected} at character ${this.offset + at}${after}`);
  }
}

function shapeOf(c: number): Value['shape'] {
  return c === OPEN_BRACE || c === OPEN_BRACKET ? 'container' : c === QUOTE ? 'string' : 'scalar';
}
