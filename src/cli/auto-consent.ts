/**
 * `--auto-consent` for the emulator: walks its authorize URL without a browser and returns the
 * callback query (code, state, realmId). If the emulator's own auto-consent is on, the authorize URL
 * redirects at once; otherwise its consent page is answered like a person would: pick the company
 * (by name or id, else the first) and press Connect. Only ever used against the emulator — Intuit's
 * real consent needs a person.
 */

export interface CallbackQuery {
  code?: string;
  state?: string;
  realmId?: string;
  error?: string;
}

function queryOf(location: string): CallbackQuery {
  const u = new URL(location);
  const q: CallbackQuery = {};
  for (const k of ['code', 'state', 'realmId', 'error'] as const) {
    const v = u.searchParams.get(k);
    if (v !== null) q[k] = v;
  }
  return q;
}

/** The emulator answered, but not with a usable consent (unknown company, no company, refused request). */
export class ConsentError extends Error {
  override name = 'ConsentError';
}

const unescape = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export async function followEmulatorConsent(authorizeUrl: string, company: string | undefined, doFetch: typeof fetch = fetch): Promise<CallbackQuery> {
  const first = await doFetch(authorizeUrl, { redirect: 'manual' });
  if (first.status >= 300 && first.status < 400) return queryOf(first.headers.get('location') ?? '');
  const html = await first.text();
  if (first.status !== 200)
    throw new ConsentError(`the emulator refused the connect request (HTTP ${first.status}): ${unescape(/<p[^>]*>([^<]+)<\/p>/.exec(html)?.[1] ?? 'no detail')}`);
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)?.[1];
  if (!ticket) throw new ConsentError('the emulator consent page had no form; is QBO_EMULATOR_URL pointing at the QBO emulator?');
  const options = [...html.matchAll(/name="realmId" value="([^"]+)"[^>]*>\s*([^<]*?)\s*<span/g)].map((m) => ({ realmId: unescape(m[1]!), name: unescape(m[2]!) }));
  if (options.length === 0) throw new ConsentError('the emulator has no company to connect to; seed one (its --preset) and try again');
  const wanted = company?.trim().toLowerCase();
  const pick = wanted ? options.find((o) => o.realmId === company?.trim() || o.name.toLowerCase() === wanted) : options[0];
  if (!pick) throw new ConsentError(`--company ${company}: the emulator has no such company; it has ${options.map((o) => `${o.name} (${o.realmId})`).join(', ')}`);
  const form = new URLSearchParams({ ticket: unescape(ticket), realmId: pick.realmId, decision: 'connect' });
  const res = await doFetch(new URL('/connect/oauth2', authorizeUrl).toString(), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const location = res.headers.get('location');
  if (!location) throw new ConsentError(`the emulator consent form answered HTTP ${res.status} without a redirect`);
  return queryOf(location);
}
