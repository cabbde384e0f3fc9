/**
 * `npm run chaos [-- --seed N] [--small] [--preset au,us] [--memory on|off|both] [--kills N]`: the
 * chaos soak on the strict emulator, per preset (default both: `au`, GST; `us`, sales tax worked out
 * by QBO from the transaction tax code), and a summary table. By default each preset runs once, with
 * the emulator's request-id memory off (every recovery must then find records by look-up; strict
 * QBO remembers a requestid a minute only anyway), so the default run fits in a few minutes on two
 * busy cores; `--memory both` adds the rounds with it on (the full soak). Exit code 1 when any check
 * failed; the seed is printed at the start and with every failure so the run can be replayed with
 * `npm run chaos -- --seed N`.
 */
import { parseArgs } from 'node:util';
import { chaosOptions, type Mode } from './modes.js';
import { companyTable, failuresLine, figuresOf, roundTable, type RoundFigures } from './report.js';
import { runSoak, soakPresets, type SoakPreset } from './soak.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    small: { type: 'boolean', default: false },
    kills: { type: 'string' },
    memory: { type: 'string', default: 'off' },
    preset: { type: 'string', default: 'au,us' },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed)) {
  console.error(`--seed ${values.seed}: must be a whole number`);
  process.exit(2);
}
const mode: Mode = values.small ? 'small' : 'full';
const memories: Array<'on' | 'off'> | undefined = values.memory === 'both' ? ['on', 'off'] : values.memory === 'on' || values.memory === 'off' ? [values.memory] : undefined;
if (!memories) {
  console.error(`--memory ${values.memory}: use on, off or both`);
  process.exit(2);
}
const presets = values.preset.split(',').map((p) => p.trim().toLowerCase());
const unknown = presets.filter((p) => !soakPresets.includes(p as SoakPreset));
if (!presets.length || unknown.length) {
  console.error(`--preset ${values.preset}: use au, us or au,us`);
  process.exit(2);
}

const replay = `npm run chaos -- --seed ${seed}${mode === 'small' ? ' --small' : ''}${values.preset === 'au,us' ? '' : ` --preset ${values.preset}`}${values.memory === 'off' ? '' : ` --memory ${values.memory}`}`;
console.log(`chaos soak (${mode}) on the strict emulator, presets ${presets.join(', ')}, seed ${seed}; replay with: ${replay}`);
const started = Date.now();
const figures: RoundFigures[] = [];
const tables: string[] = [];
const problems: string[] = [];
let n = 0;
for (const preset of presets as SoakPreset[]) {
  for (const memory of memories) {
    // Each round's seed depends on its memory setting only, so `--memory off` replays that round alone.
    const roundSeed = seed + (memory === 'off' ? 1 : 0);
    const opts = chaosOptions(mode, roundSeed, memory, (line) => console.log(line), preset);
    if (values.kills !== undefined) opts.kills = Number(values.kills);
    const round = `${preset} memory ${memory}`;
    console.log(
      `\n== round ${++n}: ${preset} preset${preset === 'us' ? ' (NYC sales tax on invoices and credit notes)' : ' (GST)'}, strict emulator, requestid memory ${memory}, ${opts.companies} companies, ${opts.size} demo, ${opts.kills} kills, time scale ${opts.timeScale} (round seed ${roundSeed})`,
    );
    const report = await runSoak(opts);
    figures.push(figuresOf(round, report));
    tables.push(`${companyTable(round, report)}\n${failuresLine(report)}`);
    problems.push(...report.problems.map((p) => `[${round}, seed ${seed}] ${p}`));
  }
}

console.log(`\n${tables.join('\n\n')}\n\n${roundTable(figures)}`);
console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s, seed ${seed}`);
if (problems.length) {
  console.log(`\nFAILED (seed ${seed}; replay: ${replay}):`);
  for (const p of problems.slice(0, 50)) console.log(`  ${p}`);
  if (problems.length > 50) console.log(`  … and ${problems.length - 50} more`);
  process.exitCode = 1;
} else {
  console.log('PASSED: every document in QBO exactly once, totals and tax and balances to the cent, connections intact, limits kept, held records explained.');
}
