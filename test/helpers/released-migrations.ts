/**
 * Databases as earlier releases left them, for upgrade tests: the migration lists those releases ran,
 * under the names they recorded (the same code: a shipped migration never changes), migrated the way
 * they did it (Kysely's Migrator with its default checks).
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { migrations } from '../../src/store/migrations/index.js';

/** `main` before the renumbering (December 2026). */
export const releasedList: Record<string, Migration> = {
  '0001_meta': migrations['0001_meta']!,
  '0002_accounts': migrations['0002_accounts']!,
  '0003_practice': migrations['0003_practice']!,
  '0004_connections': migrations['0005_connections']!,
  '0005_settings': migrations['0004_settings']!,
  '0006_sync': migrations['0006_sync']!,
  '0008_sync_more': migrations['0007_sync_more']!,
  '0009_api_token_expiry': migrations['0008_api_token_expiry']!,
  '0010_sent_fields': migrations['0009_sent_fields']!,
  '0011_held_actions': migrations['0010_held_actions']!,
  '0012_undo': migrations['0011_undo']!,
};

/** The release that had the settings migration (as 0005) before the connections one existed. */
export const settingsOnlyList: Record<string, Migration> = Object.fromEntries(['0001_meta', '0002_accounts', '0003_practice', '0005_settings'].map((n) => [n, releasedList[n]!]));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateAsReleased(db: Kysely<any>, list: Record<string, Migration>): Promise<void> {
  const { error } = await new Migrator({ db, provider: { getMigrations: () => Promise.resolve(list) } }).migrateToLatest();
  if (error) throw error;
}
