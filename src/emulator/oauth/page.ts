/**
 * The consent page, server-rendered. No script at all (the CSP forbids it); the form posts back to
 * the authorize path with a single-use ticket that carries the validated client request.
 */
export interface ConsentPageInput {
  clientId: string;
  ticket: string;
  companies: { realmId: string; name: string }[];
  scope: string;
  /** realmId to preselect (the `company` parameter); the first company otherwise. */
  selected?: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export const consentCss = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d2530}
h1{font-size:1.4rem}fieldset{border:1px solid #c8ced6;border-radius:6px;padding:1rem}label{display:block;padding:.3rem 0}
.actions{margin-top:1rem;display:flex;gap:.75rem}button{padding:.5rem 1.2rem;font-size:1rem;border-radius:4px;border:1px solid #2c7be5;cursor:pointer}
button[value=connect]{background:#2c7be5;color:#fff}button[value=cancel]{background:#fff;color:#2c7be5}.note{color:#5b6573;font-size:.9rem}`;

export function consentPage(input: ConsentPageInput): string {
  const selected = input.companies.some((c) => c.realmId === input.selected) ? input.selected : input.companies[0]?.realmId;
  const options = input.companies
    .map(
      (c) =>
        `<label><input type="radio" name="realmId" value="${escape(c.realmId)}"${c.realmId === selected ? ' checked' : ''}> ${escape(c.name)} <span class="note">(company ${escape(c.realmId)})</span></label>`,
    )
    .join('\n');
  const body = input.companies.length
    ? `<fieldset><legend>Choose a company</legend>\n${options}\n</fieldset>`
    : '<p>This emulator has no company yet. Seed one (control surface or <code>--preset</code>) and reload.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect to QuickBooks (emulator)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/connect/consent.css"></head>
<body><main>
<h1>Connect <strong>${escape(input.clientId)}</strong> to a QuickBooks company</h1>
<p class="note">QBO emulator — this app asks for: ${escape(input.scope)}</p>
<form method="post" action="/connect/oauth2">
<input type="hidden" name="ticket" value="${escape(input.ticket)}">
${body}
<div class="actions"><button type="submit" name="decision" value="connect"${input.companies.length ? '' : ' disabled'}>Connect</button>
<button type="submit" name="decision" value="cancel">Cancel</button></div>
</form></main></body></html>`;
}

export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error (emulator)</title>
<link rel="stylesheet" href="/connect/consent.css"></head><body><main><h1>Authorization request refused</h1><p>${escape(message)}</p></main></body></html>`;
}
