/** Connecting QuickBooks the way an administrator's browser does, against a running emulator. */
import { followEmulatorConsent, type CallbackQuery } from '../../src/cli/auto-consent.js';
import type { Bench, Person } from './harness.js';

/** Presses "Connect to QuickBooks" as `person` and answers the emulator's consent page; returns the callback query. */
export async function consentAs(b: Bench, person: Person, company?: string): Promise<CallbackQuery> {
  const go = await b.call('/connection/connect', { method: 'POST', body: '', contentType: 'application/x-www-form-urlencoded', as: { person, via: 'session' } });
  if (go.status !== 303) throw new Error(`Connect answered ${go.status}: ${(await go.text()).slice(0, 300)}`);
  return followEmulatorConsent(go.headers.get('location')!, company);
}

/** The callback URL QuickBooks would send the browser to. */
export function callbackPath(q: CallbackQuery): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) u.set(k, v);
  return `/connect/callback?${u.toString()}`;
}
