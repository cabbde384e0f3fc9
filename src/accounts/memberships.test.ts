import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEachDialect, dialects, emptyPostgres } from '../../test/helpers/db.js';
import { openDatabase, type OpenDb } from '../store/db.js';
import { migrations } from '../store/migrations/index.js';
import { createApiToken, userForApiToken } from './api-tokens.js';
import { addMember, changeMemberRole, invitePerson, listMembers, practicesOfPerson, removeMember, roleIn } from './memberships.js';
import { AccountError, disableUser, createUser } from './users.js';

const NOW = new Date('2026-12-05T03:00:00.000Z');

describeEachDialect(
  'memberships',
  (ctx) => {
    async function practice(id: string, name: string) {
      await ctx.db.insertInto('practices').values({ id, name, created_at: NOW.toISOString(), created_by: 'test' }).execute();
    }

    it('adds, changes and removes members with a role per practice, auditing who did it', async () => {
      await practice('bravo', 'Bravo');
      const ann = await createUser(ctx.db, { email: 'ann@example.com', name: 'Ann', role: 'administrator' }, NOW);
      const bob = await createUser(ctx.db, { email: 'bob@example.com', name: 'Bob', role: 'viewer' }, NOW);
      expect(await roleIn(ctx.db, bob.id, 'default')).toBe('viewer');
      expect(await roleIn(ctx.db, bob.id, 'bravo')).toBeUndefined();

      await addMember(ctx.db, { practiceId: 'bravo', userId: bob.id, role: 'administrator' }, ann.email, NOW);
      expect(await roleIn(ctx.db, bob.id, 'bravo')).toBe('administrator');
      expect((await practicesOfPerson(ctx.db, bob.id)).map((p) => [p.id, p.role])).toEqual([
        ['bravo', 'administrator'],
        ['default', 'viewer'],
      ]);
      await expect(addMember(ctx.db, { practiceId: 'bravo', userId: bob.id, role: 'viewer' }, ann.email, NOW)).rejects.toThrow(/already in use by a member of practice bravo/);
      await expect(addMember(ctx.db, { practiceId: 'nowhere', userId: bob.id, role: 'viewer' }, ann.email, NOW)).rejects.toThrow('practice nowhere: no such practice');
      await expect(addMember(ctx.db, { practiceId: 'bravo', userId: ann.id, role: 'owner' }, ann.email, NOW)).rejects.toBeInstanceOf(AccountError);

      // Bob is Bravo's only administrator: he cannot be made a viewer or removed until another is.
      await expect(changeMemberRole(ctx.db, { practiceId: 'bravo', userId: bob.id, role: 'viewer' }, ann.email, NOW)).rejects.toThrow(/last administrator of practice bravo/);
      await addMember(ctx.db, { practiceId: 'bravo', userId: ann.id, role: 'administrator' }, ann.email, NOW);
      await changeMemberRole(ctx.db, { practiceId: 'bravo', userId: bob.id, role: 'bookkeeper' }, ann.email, NOW);
      expect((await listMembers(ctx.db, 'bravo')).map((m) => [m.email, m.role])).toEqual([
        ['ann@example.com', 'administrator'],
        ['bob@example.com', 'bookkeeper'],
      ]);

      // Removing him from Bravo stops his Bravo token, not his default one, and leaves his default membership.
      const bravoToken = (await createApiToken(ctx.db, bob.id, 'b', NOW, null, 'bravo')).token;
      const defaultToken = (await createApiToken(ctx.db, bob.id, 'd', NOW)).token;
      await removeMember(ctx.db, { practiceId: 'bravo', userId: bob.id }, ann.email, NOW);
      expect(await userForApiToken(ctx.db, bravoToken, NOW)).toBeUndefined();
      expect((await userForApiToken(ctx.db, defaultToken, NOW))?.tokenPracticeId).toBe('default');
      expect(await roleIn(ctx.db, bob.id, 'default')).toBe('viewer');

      const audit = await ctx.db
        .selectFrom('membership_audit')
        .select(['practice_id', 'user_id', 'action', 'role', 'actor'])
        .where('practice_id', '=', 'bravo')
        .orderBy('at')
        .orderBy('action')
        .execute();
      expect(audit.filter((a) => a.user_id === bob.id).map((a) => [a.action, a.role, a.actor])).toEqual(
        expect.arrayContaining([
          ['added', 'administrator', 'ann@example.com'],
          ['role-changed', 'bookkeeper', 'ann@example.com'],
          ['removed', null, 'ann@example.com'],
        ]),
      );
    });

    it('lets an owner open every practice as an administrator; invites a known person by email, a new one as a user', async () => {
      await practice('bravo', 'Bravo');
      const olive = await createUser(ctx.db, { email: 'olive@example.com', name: 'Olive', role: 'administrator', owner: true }, NOW);
      expect(await roleIn(ctx.db, olive.id, 'bravo')).toBe('administrator');
      expect(await roleIn(ctx.db, olive.id, 'nowhere')).toBeUndefined();
      expect((await practicesOfPerson(ctx.db, olive.id)).map((p) => p.id)).toEqual(['bravo', 'default']);

      const first = await invitePerson(ctx.db, { practiceId: 'bravo', email: 'Cy@Example.com', name: 'Cy', role: 'bookkeeper' }, olive.email, NOW);
      expect(first.created).toBe(true);
      expect(await roleIn(ctx.db, first.user.id, 'bravo')).toBe('bookkeeper');
      expect(await roleIn(ctx.db, first.user.id, 'default')).toBeUndefined();
      const again = await invitePerson(ctx.db, { practiceId: 'default', email: 'cy@example.com', name: 'ignored', role: 'viewer' }, olive.email, NOW);
      expect(again).toMatchObject({ created: false, user: { id: first.user.id } });
      expect(await roleIn(ctx.db, first.user.id, 'default')).toBe('viewer');
    });

    it("a practice's administrator cannot pull in another practice's person (nor learn their name); nobody leaves a practice without an administrator", async () => {
      await practice('bravo', 'Bravo');
      const bea = await createUser(ctx.db, { email: 'bea@example.com', name: 'Bea BravoOnly', role: 'viewer', practiceId: 'bravo' }, NOW);
      const refused = await invitePerson(ctx.db, { practiceId: 'default', email: 'bea@example.com', name: 'typed', role: 'viewer' }, 'ann@example.com', NOW, {
        mayAddExisting: false,
      }).catch((e: unknown) => e as Error);
      expect(refused).toBeInstanceOf(AccountError);
      expect((refused as Error).message).toContain('an owner of the firm can add them');
      expect((refused as Error).message).not.toContain('Bea BravoOnly');
      expect(await roleIn(ctx.db, bea.id, 'default')).toBeUndefined();
      // Bravo's only administrator, also an administrator of default elsewhere: disabling them would leave bravo without one.
      await createUser(ctx.db, { email: 'ann@example.com', name: 'Ann', role: 'administrator' }, NOW);
      const bob = await createUser(ctx.db, { email: 'bob@example.com', name: 'Bob', role: 'administrator', practiceId: 'bravo' }, NOW);
      await expect(disableUser(ctx.db, bob.id, NOW)).rejects.toThrow('is the last administrator of practice bravo');
      await addMember(ctx.db, { practiceId: 'bravo', userId: bea.id, role: 'administrator' }, 'ann@example.com', NOW).catch(async () =>
        changeMemberRole(ctx.db, { practiceId: 'bravo', userId: bea.id, role: 'administrator' }, 'ann@example.com', NOW),
      );
      await disableUser(ctx.db, bob.id, NOW);
    });
  },
  { fresh: 'each' },
);

for (const dialect of dialects) {
  describe(`0021_memberships upgrades an installation in place [${dialect}]`, () => {
    let opened: OpenDb | undefined;
    afterEach(async () => opened?.close());

    it('makes every user a member of default with their role, enabled administrators owners, and every token default’s', async () => {
      if (dialect === 'sqlite') opened = await openDatabase({ sqliteFile: ':memory:', migrate: false });
      else {
        const empty = await emptyPostgres();
        const o = await openDatabase({ databaseUrl: empty.url, migrate: false });
        opened = { ...o, close: async () => (await o.close(), await empty.drop()) };
      }
      const db = opened.db;
      const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last));
      const before = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(upTo('0018_practices')) } }).migrateToLatest();
      expect(before.error).toBeUndefined();
      const user = (id: string, role: string, disabled: string | null) => ({
        id,
        email: `${id}@example.com`,
        name: id,
        role,
        password_hash: null,
        created_at: NOW.toISOString(),
        disabled_at: disabled,
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const raw = db as any;
      await raw
        .insertInto('users')
        .values([user('ada', 'administrator', null), user('bob', 'bookkeeper', null), user('old', 'administrator', NOW.toISOString())])
        .execute();
      await raw
        .insertInto('api_tokens')
        .values({ id: 't1', user_id: 'bob', name: 't', token_hash: 'h', prefix: 'qbc_xx', created_at: NOW.toISOString(), last_used_at: null, revoked_at: null, expires_at: null })
        .execute();
      const after = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateToLatest();
      expect(after.error).toBeUndefined();
      expect(await db.selectFrom('memberships').select(['user_id', 'practice_id', 'role']).orderBy('user_id').execute()).toEqual([
        { user_id: 'ada', practice_id: 'default', role: 'administrator' },
        { user_id: 'bob', practice_id: 'default', role: 'bookkeeper' },
        { user_id: 'old', practice_id: 'default', role: 'administrator' },
      ]);
      expect(await db.selectFrom('users').select(['id', 'firm_role']).orderBy('id').execute()).toEqual([
        { id: 'ada', firm_role: 'owner' },
        { id: 'bob', firm_role: null },
        { id: 'old', firm_role: null },
      ]);
      expect(await db.selectFrom('api_tokens').select(['id', 'practice_id']).execute()).toEqual([{ id: 't1', practice_id: 'default' }]);
    });
  });
}
