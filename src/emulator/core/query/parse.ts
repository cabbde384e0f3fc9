// The QBO query language (docs/qbo-api.md §query): SELECT * | count(*) | fields FROM Entity [WHERE a op v
// [AND ...]] [ORDERBY f [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]. Errors carry QBO's
// QueryParserError text ("Encountered ... Was expecting ...") so clients see the shapes they know.

import { faults } from '../faults.js';

export type Op = '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';
export type Literal = string | number | boolean;

export interface Condition {
  field: string;
  op: Op;
  values: Literal[];
}

export interface Query {
  entity: string;
  count: boolean;
  fields: string[];
  where: Condition[];
  orderBy: { field: string; desc: boolean }[];
  startPosition?: number;
  maxResults?: number;
}

type TokKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  value: string;
  col: number;
}

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw faults.queryParse(`Lexical error at line 1, column ${src.length + 1}.  Encountered: <EOF> after : "${src.slice(i, j)}"`);
        const d = src.charAt(j);
        if (d === '\\' && j + 1 < src.length) {
          value += src.charAt(j + 1);
          j += 2;
          continue;
        }
        if (d === "'") break;
        value += d;
        j++;
      }
      out.push({ kind: 'string', text: src.slice(i, j + 1), value, col });
      i = j + 1;
      continue;
    }
    if (/\d/.test(c) || (c === '-' && /\d/.test(src.charAt(i + 1)))) {
      let j = i + 1;
      while (j < src.length && /[\d.]/.test(src.charAt(j))) j++;
      const text = src.slice(i, j);
      out.push({ kind: 'number', text, value: text, col });
      i = j;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], value: id[0], col });
      i += id[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=' || two === '<>') {
      out.push({ kind: 'punct', text: two, value: two, col });
      i += 2;
      continue;
    }
    if ('=<>(),*'.includes(c)) {
      out.push({ kind: 'punct', text: c, value: c, col });
      i++;
      continue;
    }
    throw faults.queryParse(`Lexical error at line 1, column ${col}.  Encountered: "${c}" (${c.charCodeAt(0)}), after : ""`);
  }
  out.push({ kind: 'eof', text: '<EOF>', value: '', col: src.length + 1 });
  return out;
}

const KEYWORDS = new Set(['select', 'from', 'where', 'and', 'or', 'orderby', 'order', 'by', 'asc', 'desc', 'startposition', 'maxresults', 'in', 'like', 'count', 'iterator']);

function describe(t: Token): string {
  if (t.kind === 'eof') return '"<EOF>"';
  if (t.kind === 'ident' && KEYWORDS.has(t.value.toLowerCase())) return `" <${t.value.toUpperCase()}> "${t.text} ""`;
  if (t.kind === 'ident') return `" <IDENTIFIER> "${t.text} ""`;
  if (t.kind === 'string') return `" <STRING> "${t.text} ""`;
  if (t.kind === 'number') return `" <INTEGER> "${t.text} ""`;
  return `" "${t.text}" "${t.text} ""`;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i] ?? this.toks[this.toks.length - 1]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isKw(kw: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.value.toLowerCase() === kw;
  }
  private fail(expecting: string[]): never {
    const t = this.peek();
    const exp = expecting.length === 1 ? `Was expecting:\n    ${expecting[0]} ...` : `Was expecting one of:\n    ${expecting.join(' ...\n    ')} ...`;
    throw faults.queryParse(`Encountered ${describe(t)} at line 1, column ${t.col}.\n${exp}`);
  }
  private expectKw(kw: string) {
    if (!this.isKw(kw)) this.fail([`"${kw}"`]);
    this.next();
  }
  private expectPunct(p: string) {
    const t = this.peek();
    if (t.kind !== 'punct' || t.value !== p) this.fail([`"${p}"`]);
    this.next();
  }

  parse(): Query {
    if (this.peek().kind === 'eof') throw faults.queryParse('Encountered "<EOF>" at line 0, column 0.\nWas expecting:\n    "select" ...');
    this.expectKw('select');
    let count = false;
    const fields: string[] = [];
    if (this.isKw('count')) {
      this.next();
      this.expectPunct('(');
      this.expectPunct('*');
      this.expectPunct(')');
      count = true;
    } else {
      for (;;) {
        const t = this.peek();
        if (t.kind === 'punct' && t.value === '*') {
          this.next();
          fields.push('*');
        } else if (t.kind === 'ident' && !KEYWORDS.has(t.value.toLowerCase())) {
          this.next();
          fields.push(t.value);
        } else this.fail(['"*"', '<IDENTIFIER>', '"count"']);
        const p = this.peek();
        if (p.kind === 'punct' && p.value === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expectKw('from');
    const ent = this.next();
    if (ent.kind !== 'ident') {
      this.i--;
      this.fail(['<IDENTIFIER>']);
    }
    const q: Query = { entity: ent.value, count, fields, where: [], orderBy: [] };
    if (this.isKw('where')) {
      this.next();
      q.where.push(this.condition());
      while (this.isKw('and')) {
        this.next();
        q.where.push(this.condition());
      }
    }
    // ORDERBY / STARTPOSITION / MAXRESULTS come in either order (recorded: MAXRESULTS then STARTPOSITION).
    for (;;) {
      if (this.isKw('orderby') || this.isKw('order')) {
        if (this.isKw('order')) {
          this.next();
          this.expectKw('by');
        } else this.next();
        for (;;) {
          const f = this.next();
          if (f.kind !== 'ident') {
            this.i--;
            this.fail(['<IDENTIFIER>']);
          }
          let desc = false;
          if (this.isKw('asc')) this.next();
          else if (this.isKw('desc')) {
            this.next();
            desc = true;
          }
          q.orderBy.push({ field: f.value, desc });
          const p = this.peek();
          if (p.kind === 'punct' && p.value === ',') {
            this.next();
            continue;
          }
          break;
        }
      } else if (this.isKw('startposition')) {
        this.next();
        q.startPosition = this.integer();
      } else if (this.isKw('maxresults')) {
        this.next();
        q.maxResults = this.integer();
      } else break;
    }
    if (this.peek().kind !== 'eof') {
      this.fail(['<EOF>', '<AND>', '"iterator"', '"maxresults"', '<OR>', '"order"', '"orderby"', '"startposition"']);
    }
    return q;
  }

  private integer(): number {
    const t = this.peek();
    const raw = t.kind === 'string' ? t.value : t.value;
    if ((t.kind !== 'number' && t.kind !== 'string') || !/^\d+$/.test(raw)) this.fail(['<INTEGER>']);
    this.next();
    return Number(raw);
  }

  private literal(): Literal {
    const t = this.next();
    if (t.kind === 'string') return t.value;
    if (t.kind === 'number') return Number(t.value);
    if (t.kind === 'ident' && /^(true|false)$/i.test(t.value)) return t.value.toLowerCase() === 'true';
    this.i--;
    return this.fail(['<STRING>', '<INTEGER>', '<BOOLEAN>']);
  }

  private condition(): Condition {
    const f = this.next();
    if (f.kind !== 'ident' || KEYWORDS.has(f.value.toLowerCase())) {
      this.i--;
      this.fail(['<IDENTIFIER>']);
    }
    const t = this.peek();
    if (t.kind === 'ident' && t.value.toLowerCase() === 'in') {
      this.next();
      this.expectPunct('(');
      const values: Literal[] = [this.literal()];
      for (;;) {
        const p = this.peek();
        if (p.kind === 'punct' && p.value === ',') {
          this.next();
          values.push(this.literal());
          continue;
        }
        break;
      }
      this.expectPunct(')');
      return { field: f.value, op: 'IN', values };
    }
    if (t.kind === 'ident' && t.value.toLowerCase() === 'like') {
      this.next();
      const v = this.literal();
      return { field: f.value, op: 'LIKE', values: [v] };
    }
    if (t.kind === 'punct' && ['=', '<', '>', '<=', '>='].includes(t.value)) {
      this.next();
      return { field: f.value, op: t.value as Op, values: [this.literal()] };
    }
    return this.fail(['"="', '"<"', '">"', '"<="', '">="', '"in"', '"like"']);
  }
}

export function parseQuery(src: string): Query {
  return new Parser(lex(src)).parse();
}
