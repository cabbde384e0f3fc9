/**
 * The one migration set, in the order it runs: `NNNN_name`, numbered 0001 upwards with no gap and no
 * repeat (src/store/migration-names.test.ts checks the files against this list). Add a file per change
 * and list it here; never edit a migration that has shipped, and never give a new one a number below
 * the last released one. Each file may ask `dialectOf(db)` for the few SQL differences. A change that
 * removes or renames what a running release reads follows expand, then contract (docs/operations.md).
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_meta.js';
import * as m0002 from './0002_accounts.js';
import * as m0003 from './0003_practice.js';
import * as m0004 from './0004_settings.js';
import * as m0005 from './0005_connections.js';
import * as m0006 from './0006_sync.js';
import * as m0007 from './0007_sync_more.js';
import * as m0008 from './0008_api_token_expiry.js';
import * as m0009 from './0009_sent_fields.js';
import * as m0010 from './0010_held_actions.js';
import * as m0011 from './0011_undo.js';
import * as m0012 from './0012_held_action_seq.js';
import * as m0013 from './0013_qbo_changes.js';
import * as m0014 from './0014_notifications.js';
import * as m0015 from './0015_qbo_budget.js';
import * as m0016 from './0016_local_jobs.js';
import * as m0017 from './0017_schedules.js';
import * as m0018 from './0018_practices.js';
import * as m0019 from './0019_company_status.js';
import * as m0020 from './0020_practice_ledger.js';

export const migrations: Record<string, Migration> = {
  '0001_meta': m0001,
  '0002_accounts': m0002,
  '0003_practice': m0003,
  '0004_settings': m0004,
  '0005_connections': m0005,
  '0006_sync': m0006,
  '0007_sync_more': m0007,
  '0008_api_token_expiry': m0008,
  '0009_sent_fields': m0009,
  '0010_held_actions': m0010,
  '0011_undo': m0011,
  '0012_held_action_seq': m0012,
  '0013_qbo_changes': m0013,
  '0014_notifications': m0014,
  '0015_qbo_budget': m0015,
  '0016_local_jobs': m0016,
  '0017_schedules': m0017,
  '0018_practices': m0018,
  '0019_company_status': m0019,
  '0020_practice_ledger': m0020,
};
