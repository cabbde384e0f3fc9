/**
 * 0012_held_action_seq on a database the released list made: the held-record actions already there
 * keep their rows and take their id as `seq`, and (record, seq) is unique from then on — the guard
 * that lets only one of two simultaneous actions on a held record be recorded (connect/held/store.ts).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, emptyPostgres } from '../../test/helpers/db.js';
import { migrateAsReleased, releasedList } from '../../test/helpers/released-migrations.js';
import { openDatabase, type OpenDb } from './db.js';
import { runMigrations } from './migrate.js';

for (const dialect of dialects) {
  describe(`held_actions.seq upgrade [${dialect}]`, () => {
    let opened: OpenDb | undefined;
    let drop: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await opened?.close();
      await drop?.();
      opened = undefined;
      drop = undefined;
    });

    it('existing actions take their id as seq; a second action with the same seq on the record is refused', async () => {
      if (dialect === 'sqlite') opened = await openDatabase({ sqliteFile: ':memory:', migrate: false });
      else {
        const empty = await emptyPostgres();
        drop = empty.drop;
        opened = await openDatabase({ databaseUrl: empty.url, migrate: false });
      }
      const db = opened.db;
      await migrateAsReleased(db, releasedList);
      const row = (action: string) => ({
        realm_id: 'r1',
        record_kind: 'invoice',
        record_key: 'INV-1',
        label: 'Invoice INV-1',
        action,
        detail: '{}',
        old_link: null,
        old_journal: null,
        actor: 'user:ann@example.com',
        at: '2026-12-01T00:00:00.000Z',
        undone_by: null,
        undone_at: null,
      });
      await sql`insert into held_actions (realm_id, record_kind, record_key, label, action, detail, actor, at) values ('r1', 'invoice', 'INV-1', 'Invoice INV-1', 'keep-qbo', '{}', 'a', '2026-12-01T00:00:00.000Z')`.execute(
        db,
      );
      await sql`insert into held_actions (realm_id, record_kind, record_key, label, action, detail, actor, at) values ('r1', 'invoice', 'INV-1', 'Invoice INV-1', 'skip', '{}', 'a', '2026-12-01T00:00:01.000Z')`.execute(
        db,
      );
      const result = await runMigrations(db, () => {});
      expect(result.applied).toContain('0012_held_action_seq');
      const rows = await db.selectFrom('held_actions').select(['id', 'seq', 'action']).orderBy('id').execute();
      expect(rows.map((r) => [r.action, Number(r.seq) === Number(r.id)])).toEqual([
        ['keep-qbo', true],
        ['skip', true],
      ]);
      await db
        .insertInto('held_actions')
        .values({ ...row('send-ours'), seq: Number(rows[1]!.seq) + 1 })
        .execute();
      await expect(
        db
          .insertInto('held_actions')
          .values({ ...row('keep-qbo'), seq: Number(rows[1]!.seq) + 1 })
          .execute(),
      ).rejects.toThrow(/unique|duplicate/i);
    });
  });
}
