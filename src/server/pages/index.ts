/**
 * Every page of the web app, in one list. To add a page: write `src/server/pages/<name>.tsx`
 * exporting a `WebPage` (its nav entry and its routes), then add one line here.
 */
import type { WebPage } from '../web/env.js';
import { accountPage } from './account.js';
import { connectionPage } from './connection.js';
import { signInPage } from './sign-in.js';
import { usersPage } from './users.js';

export const pages: WebPage[] = [
  signInPage,
  connectionPage,
  usersPage,
  accountPage,
];
