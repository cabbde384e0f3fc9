/**
 * Every page of the web app, in one list. To add a page: write `src/server/pages/<name>.tsx`
 * exporting a `WebPage` (its nav entry and its routes), then add one line here.
 */
import type { WebPage } from '../web/env.js';
import { accountPage } from './account.js';
import { connectionPage } from './connection.js';
import { signInPage } from './sign-in.js';
import { usersPage } from './users.js';
import { previewPage } from './preview.js';
import { syncPage } from './sync.js';
import { historyPage } from './history.js';
import { skippedPage } from './skipped.js';
import { heldPage } from './held.js';
import { settingsPage } from './settings.js';
import { notificationsPage } from './notifications.js';
import { schedulePage } from './schedule.js';
import { officesPage } from './offices.js';
import { practicePage } from './practice.js';
import { reconciliationPage } from './reconciliation.js';
import { firmPage } from './firm.js';

export const pages: WebPage[] = [
  signInPage,
  firmPage,
  connectionPage,
  usersPage,
  accountPage,
  previewPage,
  syncPage,
  historyPage,
  heldPage,
  reconciliationPage,
  skippedPage,
  settingsPage,
  notificationsPage,
  schedulePage,
  officesPage,
  practicePage,
];
