/**
 * README's command table runs verbatim (issue 17): every `qbo-connect …` command it lists answers
 * `--help` with exit code 0 from the real bin, every command registered in src/cli/program.ts has a
 * row, and every `npm run …` it names is a script of package.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The first cells of the table under `## Commands`, each cell's code spans in order. */
function commandCells(readme: string): string[][] {
  const section = readme.split(/^## Commands$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('README.md has no "## Commands" section');
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| command '))
    .map((l) => [...(l.split(/(?<!\\)\|/)[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

/**
 * The command of each `qbo-connect` span: its leading lower-case words (`settings show` of
 * `qbo-connect settings show [--json]`), cut to the longest that is a command of `known` when one is
 * (`held relink KIND ID` is the command `held` with its argument `relink`); a span after one in the
 * same cell names another command of the bin (`skip KIND ID` / `unskip KIND ID`).
 */
export function readmeCommands(readme: string, known: string[] = []): string[] {
  const out: string[] = [];
  for (const spans of commandCells(readme)) {
    let bin = false;
    for (const span of spans) {
      const words = span.split(/\s+/);
      if (words[0] === 'qbo-connect') {
        bin = true;
        words.shift();
      } else if (!bin || /^(npm|npx|bash|node)$/.test(words[0]!)) {
        bin = false;
        continue;
      }
      const command: string[] = [];
      for (const w of words) {
        if (!/^[a-z][a-z-]*$/.test(w)) break;
        command.push(w);
      }
      const registeredPrefix = command.map((_, i) => command.slice(0, command.length - i).join(' ')).find((c) => known.includes(c));
      if (command.length) out.push(registeredPrefix ?? command.join(' '));
    }
  }
  return [...new Set(out)];
}

/** Every command a person can run: the leaves of the program's tree (`settings show`, `sync`). */
function registeredCommands(): string[] {
  const walk = (c: Command, pre: string[]): string[] => (c.commands.length ? c.commands.flatMap((s) => walk(s, [...pre, s.name()])) : [pre.join(' ')]);
  return buildProgram().commands.flatMap((c) => walk(c, [c.name()]));
}

function help(command: string): Promise<{ command: string; code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, [path.join(root, 'bin/qbo-connect.js'), ...command.split(' '), '--help'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => resolve({ command, code, out, err }));
  });
}

/** Runs `fn` over `items`, at most `limit` at once (the machine is shared). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

describe("README's command table", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const registered = registeredCommands();
  const listed = readmeCommands(readme, registered);

  it('reads the commands of the table (the parser itself)', () => {
    const sample = [
      '## Commands',
      '| command | what it does |',
      '|---|---|',
      '| `npm start` / `qbo-connect start` | run |',
      '| `qbo-connect skip KIND ID` / `unskip KIND ID` | skip |',
      '| `qbo-connect settings set PATH VALUE` | set |',
      '| `qbo-connect recover [--json] [--resolve ID sent\\|not-sent]` | recover |',
      '| `qbo-connect held [--json]` / `held relink KIND ID QBO_ID` | held |',
      '| `npm run lint` / `npm run typecheck` | lint |',
      '## Next',
      '| `qbo-connect not-a-command-row` | elsewhere |',
    ].join('\n');
    expect(readmeCommands(sample, ['start', 'skip', 'unskip', 'settings set', 'recover', 'held'])).toEqual(['start', 'skip', 'unskip', 'settings set', 'recover', 'held']);
    // A command the program does not have stays as written, so the test below names it.
    expect(readmeCommands(sample, [])).toContain('settings set');
  });

  it('lists every command registered in src/cli/program.ts, and only those', () => {
    expect(
      registered.filter((c) => !listed.includes(c)),
      'commands missing from README.md ## Commands',
    ).toEqual([]);
    expect(
      listed.filter((c) => !registered.includes(c)),
      'README rows naming no registered command',
    ).toEqual([]);
  });

  it('each listed command answers --help through the real bin with exit code 0', async () => {
    const results = await pool(listed, 3, help);
    const failed = results.filter((r) => r.code !== 0 || !r.out.includes(`Usage: qbo-connect ${r.command}`));
    expect(
      failed.map((r) => `${r.command}: exit ${r.code} ${r.err.slice(0, 200)}`),
      'qbo-connect <command> --help',
    ).toEqual([]);
    expect(results.length).toBe(listed.length);
  }, 240_000);

  it('every npm script it names exists in package.json', () => {
    const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const named = commandCells(readme)
      .flat()
      .flatMap((span) => [...span.matchAll(/^npm (?:run ([\w:-]+)|(start|test))\b/g)].map((m) => m[1] ?? m[2]!));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
