/**
 * The one typed schema for both dialects. Each part declares its tables in `tables/`; migrations in
 * `migrations/` create them. Money is integer cents (bigint on Postgres), accounting dates are
 * `YYYY-MM-DD` text, timestamps are UTC ISO text, JSON is text.
 */
import type { MetaTables } from './tables/meta.js';
import type { AccountTables } from './tables/accounts.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- each part's tables are mixed in here
export interface Database extends MetaTables, AccountTables {}
