import { describe, expect, it } from 'vitest';
import { actorName, localWhen, sentence } from './reasons.js';

describe('who and when, as a person reads them', () => {
  it('names the person, the CLI or a schedule, never the internal actor string', () => {
    expect(actorName('user:ann@example.com')).toBe('ann@example.com');
    expect(actorName('cli:ann')).toBe('the CLI (ann)');
    expect(actorName('schedule:nightly')).toBe('a schedule');
  });

  it('says when in local time, with how long ago, without an ISO time (any TZ)', () => {
    const started = new Date('2026-03-10T12:00:00Z');
    const soon = localWhen(started.toISOString(), new Date(started.getTime() + 3 * 60_000));
    const local = `${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
    expect(soon).toBe(`at ${local} today (3 minutes ago)`);
    const later = localWhen(started.toISOString(), new Date(started.getTime() + 3 * 86_400_000));
    expect(later.startsWith(`at ${local} on `)).toBe(true);
    expect(later).toMatch(/^at \d\d:\d\d on \d{1,2} [A-Z][a-z]{2} \(72 hours ago\)$/);
    expect(localWhen('not a time', started)).toBe('at an unknown time');
  });

  it('the refusal of a second sync: who, since when, no heartbeat jargon', () => {
    const m = sentence('run.locked', { holder: actorName('user:ann@example.com'), startedAt: 'at 09:15 today (2 minutes ago)', seconds: 60 });
    expect(m).toBe(
      'A sync of this company is already running: started by ann@example.com at 09:15 today (2 minutes ago). Wait for it to finish; if it was stopped without finishing, a new sync can start once it has given no sign of life for 60 seconds.',
    );
    expect(m).not.toMatch(/heartbeat|user:|\dT\d/);
  });
});
