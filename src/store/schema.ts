/**
 * The one typed schema for both dialects. Each part declares its tables in `tables/`; migrations in
 * `migrations/` create them. Money is integer cents (bigint on Postgres), accounting dates are
 * `YYYY-MM-DD` text, timestamps are UTC ISO text, JSON is text.
 */
import type { MetaTables } from './tables/meta.js';
import type { AccountTables } from './tables/accounts.js';
import type { PracticeTables } from './tables/practice.js';
import type { SettingsTables } from './tables/settings.js';
import type { ConnectionTables } from './tables/connections.js';
import type { SyncTables } from './tables/sync.js';
import type { HeldTables } from './tables/held.js';
import type { JobTables } from './tables/jobs.js';
import type { NotificationTables } from './tables/notifications.js';
import type { QboBudgetTables } from './tables/qbo-budget.js';
import type { ScheduleTables } from './tables/schedules.js';
import type { CompanyStatusTables } from './tables/company-status.js';

export interface Database
  extends
    MetaTables,
    AccountTables,
    PracticeTables,
    SettingsTables,
    ConnectionTables,
    SyncTables,
    HeldTables,
    NotificationTables,
    QboBudgetTables,
    JobTables,
    ScheduleTables,
    CompanyStatusTables {}
