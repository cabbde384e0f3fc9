/**
 * A mapping's entry for a practice code. Mappings are plain objects (they are stored as JSON), so
 * `map[code]` would find Object.prototype's `toString` or `constructor` for a practice code of that
 * name, and the preview would take a function for a QBO id and let QBO refuse it. Only own entries
 * count: such a code is unmapped, and the preview says so.
 */
export function mappedId(map: Readonly<Record<string, string>>, code: string | null | undefined): string | undefined {
  if (code === undefined || code === null || !Object.hasOwn(map, code)) return undefined;
  const v = map[code];
  return typeof v === 'string' ? v : undefined;
}
