/**
 * What the working screens (settings, preview, sync, history, skipped, practice data) share: which
 * company a page is about, money and time as people read them, where a record lives (the practice
 * data page, or QuickBooks), and the "connect first" answer when no company is connected.
 */
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { connectedRealms, lastKnownRealm } from '../../connect/realm.js';
import type { WebEnv } from '../web/env.js';
import { Notice, renderPage } from '../web/layout.js';

/** The connected company, or undefined (pages then show `notConnectedPage`). */
export async function webRealm(ctx: AppContext): Promise<string | undefined> {
  const realms = await connectedRealms(ctx.db);
  // The web app works on one company at a time: the first connected one.
  return realms[0];
}

/**
 * The company a record-keeping page (history, skipped records) is about: the connected one, else the
 * one last connected here (connect/realm.ts lastKnownRealm, the rule the CLI and the API reads use
 * too). Disconnecting after every sync is what the seed advises, so those pages stay readable then
 * (issue 19). `connected` says which it is.
 */
export async function knownRealm(ctx: AppContext): Promise<{ realmId: string; connected: boolean } | undefined> {
  const live = await webRealm(ctx);
  if (live) return { realmId: live, connected: true };
  const realmId = await lastKnownRealm(ctx.db);
  return realmId ? { realmId, connected: false } : undefined;
}

/** Said on a page that shows a disconnected company's records. */
export function DisconnectedNotice() {
  return (
    <Notice kind="warn">
      QuickBooks is not connected now; this is what QBO Connect recorded for the company last connected. <a href="/connection">Connect to QuickBooks</a> to preview or sync again.
    </Notice>
  );
}

export function notConnectedPage(c: Context<WebEnv>, title: string): Promise<Response> {
  return renderPage(c, {
    title,
    body: (
      <>
        <h1>{title}</h1>
        <Notice kind="warn">
          No QuickBooks company is connected, so there is nothing to show yet. <a href="/connection">Connect to QuickBooks</a> first.
        </Notice>
      </>
    ),
  });
}

/** Integer cents as dollars with two decimals and thousands separators; never float arithmetic. */
export function money(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return '—';
  const neg = cents < 0;
  const abs = Math.abs(Math.trunc(cents));
  const digits = Math.floor(abs / 100).toString();
  let whole = '';
  for (let i = 0; i < digits.length; i++) whole += (i > 0 && (digits.length - i) % 3 === 0 ? ',' : '') + digits[i];
  const frac = String(abs % 100).padStart(2, '0');
  return `${neg ? '-' : ''}$${whole}.${frac}`;
}

/** `2026-11-26T02:03:04.000Z` → `2026-11-26 02:03 UTC`. */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—';
}

/** `user:ann@example.com` → `ann@example.com`; engine actors stay as they are. */
export function who(actor: string): string {
  return actor.startsWith('user:') ? actor.slice(5) : actor;
}

/** Who a web action is recorded under (the same form the JSON API uses). */
export function actorOf(c: Context<WebEnv>): string {
  return `user:${c.get('user').email}`;
}

/** Plan / skip / run record kinds → the practice kind and key the practice data page shows. */
export function practiceRefOf(kind: string, id: string): { kind: string; key: string } | undefined {
  switch (kind) {
    case 'contact':
    case 'supplier':
      return { kind: 'contact', key: id };
    case 'project':
    case 'job-item':
      return { kind: 'project', key: id.split('|')[0]! };
    case 'credit-application':
      return { kind: 'credit-note', key: id };
    case 'invoice':
    case 'credit-note':
    case 'payment':
    case 'bill':
    case 'staff-expense':
    case 'staff':
      return { kind, key: id };
    default:
      return undefined; // imported QBO payments have no practice record yet
  }
}

export function practiceHref(kind: string, id: string): string | undefined {
  const ref = practiceRefOf(kind, id);
  return ref ? `/practice/${ref.kind}/${encodeURIComponent(ref.key)}` : undefined;
}

/** QBO's own page for an entity (production/sandbox), or the emulator's company dump in the demo. */
export function qboHref(ctx: AppContext, realmId: string, entity: string | null, id: string | null): string | undefined {
  if (!entity || !id) return undefined;
  if (ctx.config.qboEnv === 'emulator') {
    const base = ctx.config.emulatorUrl ?? `http://127.0.0.1:${ctx.config.emulatorPort}`;
    return `${base.replace(/\/$/, '')}/control/companies/${encodeURIComponent(realmId)}/dump`;
  }
  id = encodeURIComponent(id);
  const host = ctx.config.qboEnv === 'sandbox' ? 'https://app.sandbox.qbo.intuit.com' : 'https://app.qbo.intuit.com';
  const page: Record<string, string> = {
    Invoice: `app/invoice?txnId=${id}`,
    CreditMemo: `app/creditmemo?txnId=${id}`,
    Payment: `app/recvpayment?txnId=${id}`,
    Bill: `app/bill?txnId=${id}`,
    Customer: `app/customerdetail?nameId=${id}`,
    Vendor: `app/vendordetail?nameId=${id}`,
    Item: `app/items`,
  };
  return `${host}/${page[entity] ?? `app/homepage`}`;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
