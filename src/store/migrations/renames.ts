/**
 * Names under which earlier releases recorded migrations, and their names now. Until December 2026
 * the settings migration shipped as 0005 before the connections one existed, which was then slotted
 * in as 0004, and 0007 was never used; the set was renumbered so names sort in the order they run
 * (settings, then connections: neither reads the other's tables) with no gap. A database recorded
 * under the old names is renamed in place before the migrator reads it (src/store/migrate.ts).
 * Entries stay forever: a database may skip any number of releases. No new name may equal an old one.
 */
export const renamedMigrations: Readonly<Record<string, string>> = {
  '0004_connections': '0005_connections',
  '0005_settings': '0004_settings',
  '0008_sync_more': '0007_sync_more',
  '0009_api_token_expiry': '0008_api_token_expiry',
  '0010_sent_fields': '0009_sent_fields',
  // Held-record actions reached main as 0011 while the renumbering was under way.
  '0011_held_actions': '0010_held_actions',
  '0012_undo': '0011_undo',
};
