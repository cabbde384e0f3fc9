/** An occurrence said in the company's own time zone, then UTC (the page and `schedule show`). Intl with an explicit zone: any TZ. */
import { describe, expect, it } from 'vitest';
import { localOccurrence } from './model.js';

describe('localOccurrence', () => {
  it('says the local time and zone first, then UTC, naming the UTC day when it differs', () => {
    expect(localOccurrence('2026-12-05T23:30:00.000Z', 'America/New_York')).toBe('Sat 5 Dec 2026 18:30 America/New_York (23:30 UTC)');
    expect(localOccurrence('2026-12-06T04:30:00.000Z', 'America/New_York')).toBe('Sat 5 Dec 2026 23:30 America/New_York (Sun 6 Dec 04:30 UTC)');
    expect(localOccurrence('2026-12-06T04:30:00.000Z', 'Asia/Kolkata')).toBe('Sun 6 Dec 2026 10:00 Asia/Kolkata (04:30 UTC)');
    expect(localOccurrence('2026-12-06T04:30:00.000Z', 'UTC')).toBe('Sun 6 Dec 2026 04:30 UTC');
  });
});
