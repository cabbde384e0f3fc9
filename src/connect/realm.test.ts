import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDb } from '../store/db.js';
import { RealmChoiceError, resolveRealm } from './realm.js';

// An unmigrated database: this is about the presence of another part's table, not our migrations.
describe('choosing the company', () => {
  let opened: OpenDb | undefined;
  afterEach(async () => opened?.close());

  it('takes the company named, and asks for one while no connections table exists', async () => {
    opened = await openDatabase({ sqliteFile: ':memory:', migrate: false });
    expect(await resolveRealm(opened.db, ' 4620 ', '--realm ID')).toBe('4620');
    await expect(resolveRealm(opened.db, undefined, '--realm ID')).rejects.toThrow('No QBO company is connected: name the company with --realm ID.');
  });

  it('defaults to the single connected company, and asks when there are several', async () => {
    opened = await openDatabase({ sqliteFile: ':memory:', migrate: false });
    await opened.db.schema.createTable('connections').addColumn('realm_id', 'text').execute();
    const insert = (realm: string) => opened!.db.insertInto('connections' as never).values({ realm_id: realm } as never).execute();
    await expect(resolveRealm(opened.db, undefined, '?realm=ID')).rejects.toBeInstanceOf(RealmChoiceError);
    await insert('111');
    expect(await resolveRealm(opened.db, undefined, '?realm=ID')).toBe('111');
    await insert('222');
    await expect(resolveRealm(opened.db, undefined, '?realm=ID')).rejects.toThrow('Several QBO companies are known (111, 222): name one with ?realm=ID.');
  });
});
