/**
 * The one migration set, in order. Add a file per change and list it here; never edit a migration
 * that has shipped. Each file may ask `dialectOf(db)` for the few SQL differences.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_meta.js';
import * as m0002 from './0002_accounts.js';
import * as m0003 from './0003_practice.js';
import * as m0004 from './0004_connections.js';
import * as m0005 from './0005_settings.js';
import * as m0006 from './0006_sync.js';
import * as m0008 from './0008_sync_more.js';
import * as m0009 from './0009_api_token_expiry.js';
import * as m0010 from './0010_sent_fields.js';
import * as m0011 from './0011_held_actions.js';
import * as m0012 from './0012_undo.js';

export const migrations: Record<string, Migration> = {
  '0001_meta': m0001,
  '0002_accounts': m0002,
  '0003_practice': m0003,
  '0004_connections': m0004,
  '0005_settings': m0005,
  '0006_sync': m0006,
  '0008_sync_more': m0008,
  '0009_api_token_expiry': m0009,
  '0010_sent_fields': m0010,
  '0011_held_actions': m0011,
  '0012_undo': m0012,
};
