/**
 * Odd values for the bad-input tests: wrong types, huge and strange strings (unicode, control
 * characters, quotes, backslashes, very long), negative and enormous numbers, and whole JSON values.
 */
import fc from 'fast-check';

export const oddStrings = [
  '',
  ' ',
  '\u0000',
  '\u0007\u001b[31m',
  '\r\n\t',
  '\u202e\u200b\ufeff',
  'a"b',
  "a'b",
  'a\\b\\\\',
  '"\\u0000"',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  '%00%2e%2e',
  '😀👩‍👩‍👧‍👦',
  '\ud800',
  'Ünïcödé 名前 اسم',
  '2026-02-30',
  '9999-99-99',
  '-0',
  'NaN',
  '1e309',
  'null',
  'x'.repeat(10_001),
  '😀'.repeat(3000),
];

export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...oddStrings),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, -0, 0.5, 0.001, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 31, 2 ** 63, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any value of the wrong kind for a field: strings, numbers, booleans, null, arrays, objects. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddString },
  { weight: 3, arbitrary: oddNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(oddString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(oddString, oddString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Replaces (or deletes, or adds) one field somewhere inside `value`, chosen by `pick`. */
export function damage(value: unknown, pick: number, replacement: unknown, how: 'replace' | 'delete' | 'add'): unknown {
  const copy = structuredClone(value);
  const slots: Array<{ parent: Record<string | number, unknown>; key: string | number }> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push({ parent: v as unknown as Record<number, unknown>, key: i });
        walk(x);
      });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        slots.push({ parent: v as Record<string, unknown>, key: k });
        walk(x);
      }
    }
  };
  walk(copy);
  if (slots.length === 0) return replacement;
  const { parent, key } = slots[pick % slots.length]!;
  if (how === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (how === 'add' && !Array.isArray(parent)) {
    parent[`zz_${String(key)}`] = replacement;
  } else {
    parent[key] = replacement;
  }
  return copy;
}

export const damageArb = fc.record({
  pick: fc.nat(),
  replacement: oddValue,
  how: fc.constantFrom('replace', 'replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>,
});
