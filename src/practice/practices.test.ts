import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { UserFacingError } from '../user-facing-error.js';
import { createPractice, listPractices, PRACTICE_ID, resolvePractice } from './practices.js';

const now = new Date('2026-12-05T03:00:00Z');

async function refusal(p: Promise<unknown>): Promise<UserFacingError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserFacingError);
  return err as UserFacingError;
}

describe('practice ids', () => {
  it.each(['a', 'smith-architects', '0-9', 'x'.repeat(40)])('allows %s', (id) => expect(PRACTICE_ID.test(id)).toBe(true));
  it.each(['', '-lead', 'Upper', 'has space', 'x'.repeat(41), 'a_b', 'é'])('refuses %j', (id) => expect(PRACTICE_ID.test(id)).toBe(false));
});

describeEachDialect('practices', (ctx) => {
  it('creates a practice; refuses a bad id or name naming the field, and a taken id; nothing changed by a refusal', async () => {
    expect(await resolvePractice(ctx.db, undefined)).toBe('default');
    const bad = await refusal(createPractice(ctx.db, { id: 'Bad Id', name: 'X' }, 'tester', now));
    expect([bad.code, bad.field, bad.status]).toEqual(['practice.invalid-id', 'id', 400]);
    const noName = await refusal(createPractice(ctx.db, { id: 'ok', name: '  ' }, 'tester', now));
    expect([noName.code, noName.field]).toEqual(['practice.invalid-name', 'name']);
    expect(await createPractice(ctx.db, { id: 'north', name: ' North Studio ' }, 'tester', now)).toEqual({
      id: 'north',
      name: 'North Studio',
      createdAt: now.toISOString(),
      createdBy: 'tester',
    });
    const dup = await refusal(createPractice(ctx.db, { id: 'north', name: 'Other' }, 'tester', now));
    expect([dup.code, dup.field, dup.status, dup.message]).toEqual(['practice.exists', 'id', 409, 'practice "north" exists already: choose another id']);
    expect((await listPractices(ctx.db)).map((p) => [p.id, p.name])).toEqual([
      ['default', 'Practice'],
      ['north', 'North Studio'],
    ]);
  });

  it('resolves the practice named, refuses an unknown one listing the known, and several without a name', async () => {
    expect(await resolvePractice(ctx.db, 'north')).toBe('north');
    const unknown = await refusal(resolvePractice(ctx.db, 'south'));
    expect([unknown.code, unknown.status, unknown.message]).toEqual(['practice.unknown', 404, 'there is no practice "south" here; the practices are: default, north']);
    const several = await refusal(resolvePractice(ctx.db, undefined));
    expect([several.code, several.message]).toEqual(['practice.required', 'several practices: name one with --practice (default, north)']);
  });
});
