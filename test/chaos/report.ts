/** The soak's summary table: one line per company and round, then the faults QBO served. */
import type { SoakReport } from './soak.js';

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface RoundFigures {
  round: string;
  documents: number;
  names: number;
  requests: number;
  faults: Record<string, number>;
  limitRefusals: number;
  maxPerMinute: number;
  maxInFlight: number;
  tokenCalls: number;
  kills: number;
  syncRuns: number;
  duplicates: number;
  missing: number;
  held: number;
  /** Documents whose QBO TotalTax matched the prediction to the cent, of those checked; and QBO's tax. */
  taxOk: number;
  totalChecked: number;
  totalTaxCents: number;
  balances: number;
  recovered: number;
  notInQbo: number;
  seconds: number;
}

export function figuresOf(round: string, r: SoakReport): RoundFigures {
  const sum = (f: (c: SoakReport['companies'][number]) => number) => r.companies.reduce((n, c) => n + f(c), 0);
  const faults: Record<string, number> = {};
  let requests = 0;
  let limitRefusals = 0;
  let maxPerMinute = 0;
  let maxInFlight = 0;
  for (const s of r.stats.companies) {
    for (const [k, v] of Object.entries(s.faults)) faults[k] = (faults[k] ?? 0) + v;
    requests += Object.values(s.requests).reduce((a, b) => a + b, 0);
    limitRefusals += s.throttled.rate + s.throttled.concurrency + s.throttled['batch-rate'];
    maxPerMinute = Math.max(maxPerMinute, s.maxPerMinute);
    maxInFlight = Math.max(maxInFlight, s.maxInFlight);
  }
  return {
    round,
    documents: sum((c) => c.verdict.documents),
    names: sum((c) => c.verdict.names),
    requests,
    faults,
    limitRefusals,
    maxPerMinute,
    maxInFlight,
    tokenCalls: r.stats.tokenEndpoint.requests,
    kills: r.killsDelivered,
    syncRuns: sum((c) => c.runs.length),
    duplicates: sum((c) => c.verdict.duplicates),
    missing: sum((c) => c.verdict.missing),
    held: sum((c) => c.verdict.held),
    taxOk: sum((c) => c.verdict.taxChecked),
    totalChecked: sum((c) => c.verdict.totalsChecked),
    totalTaxCents: sum((c) => c.verdict.totalTaxCents),
    balances: sum((c) => c.verdict.balancesChecked),
    recovered: sum((c) => c.verdict.recoveredByLookup),
    notInQbo: sum((c) => c.verdict.notInQbo),
    seconds: Math.round((r.prepareMs + r.soakMs + r.verifyMs) / 1000),
  };
}

export function companyTable(round: string, r: SoakReport): string {
  return table(
    [
      'round / company',
      'realm',
      'documents',
      'once',
      'names',
      'dupes',
      'missing',
      'orphans',
      'totals ok',
      'tax ok',
      'QBO tax',
      'balances',
      'held',
      'explained',
      'runs',
      'kills',
      'connection',
      'busiest min',
      'max in flight',
    ],
    r.companies.map((c) => {
      const s = r.stats.companies.find((x) => x.realmId === c.realmId);
      const v = c.verdict;
      return [
        `${round} ${c.index + 1}`,
        c.realmId,
        String(v.documents),
        String(v.documentsOnce),
        String(v.names),
        String(v.duplicates),
        String(v.missing),
        String(v.orphans),
        String(v.totalsChecked),
        String(v.taxChecked),
        (v.totalTaxCents / 100).toFixed(2),
        String(v.balancesChecked),
        String(v.held),
        String(v.heldExplained),
        String(c.runs.length),
        String(c.runs.filter((x) => x.killed).length),
        v.connection,
        `${s?.maxPerMinute ?? '?'}/${r.limits.perMinute}`,
        `${s?.maxInFlight ?? '?'}/${r.limits.concurrent}`,
      ];
    }),
  );
}

/** Per-record failures on the way (each sent again by a later run), by reason code. */
export function failuresLine(r: SoakReport): string {
  const all: Record<string, number> = {};
  for (const c of r.companies) for (const [k, v] of Object.entries(c.verdict.failedByCode)) all[k] = (all[k] ?? 0) + v;
  const parts = Object.entries(all).map(([k, v]) => `${k} ${v}`);
  const killed: Record<string, number> = {};
  for (const c of r.companies) for (const [k, v] of Object.entries(c.verdict.killedIn)) killed[k] = (killed[k] ?? 0) + v;
  const where = Object.entries(killed).map(([k, v]) => `${k} ${v}`);
  return [
    `record failures on the way (retried by later runs): ${parts.length ? parts.join(', ') : 'none'}`,
    `runs a kill interrupted, by where they were: ${where.length ? where.join(', ') : 'none'} (kills during process start-up leave no run)`,
  ].join('\n');
}

export function roundTable(rounds: RoundFigures[]): string {
  return table(
    [
      'round',
      'documents',
      'names',
      'QBO requests',
      '429',
      '500',
      'hang',
      'commit-drop',
      'limit 429s',
      'token calls',
      'kills',
      'sync runs',
      'recovered',
      'resent',
      'duplicates',
      'missing',
      'totals checked',
      'tax ok',
      'QBO tax',
      'balances',
      'held',
      'seconds',
    ],
    rounds.map((f) => [
      f.round,
      String(f.documents),
      String(f.names),
      String(f.requests),
      String(f.faults['429'] ?? 0),
      String(f.faults['500'] ?? 0),
      String(f.faults['hang'] ?? 0),
      String(f.faults['commit-then-drop'] ?? 0),
      String(f.limitRefusals),
      String(f.tokenCalls),
      String(f.kills),
      String(f.syncRuns),
      String(f.recovered),
      String(f.notInQbo),
      String(f.duplicates),
      String(f.missing),
      String(f.totalChecked),
      String(f.taxOk),
      (f.totalTaxCents / 100).toFixed(2),
      String(f.balances),
      String(f.held),
      String(f.seconds),
    ]),
  );
}
