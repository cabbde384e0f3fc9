#!/usr/bin/env node
// The qbo-connect command. In a development clone (the TypeScript sources and the dev dependency tsx
// are both there) it runs src/ through tsx in this same process, so a `dist/` left by an earlier
// `npm run build` can never run stale code; an installed package (no src/, no dev dependencies)
// runs the compiled dist/. `npm start` runs this file too: one node process, no tsx wrapper.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

watchWrapper();

const sources = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const tsx = existsSync(fileURLToPath(sources)) ? await importTsx() : undefined;
if (tsx) {
  // The project's tsconfig by path: tsx would otherwise look in the working folder, and a clone's
  // bin run from elsewhere compiled the pages' JSX the classic way ("React is not defined").
  tsx.register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(sources.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(pathToFileURL(fileURLToPath(compiled)).href);
} else {
  console.error('qbo-connect: neither dist/cli/main.js (run `npm run build`) nor the sources with tsx (run `npm install`) are here; reinstall QBO Connect.');
  process.exit(1);
}

/** tsx's in-process loader, or undefined where dev dependencies are not installed. */
async function importTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/**
 * Under `npm start` or `npx qbo-connect` this process is a grandchild of npm (npm → sh → node). A
 * supervisor that stops the service signals npm, its main process; npm passes the signal to `sh`
 * only, and this process used to live on, orphaned, holding the port and the database (issue 17).
 * So when npm started us and our parent (sh), or on Linux its parent (npm, even when SIGKILLed), goes
 * away, we stop as if sent SIGTERM: the command's own SIGTERM handler shuts down cleanly. Run directly
 * (systemd, a container, a shell with `&`), nothing is watched: there a changed parent means nothing.
 */
function watchWrapper() {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  const timer = setInterval(() => {
    if (process.ppid === parent && parentOf(parent) === grandparent) return;
    clearInterval(timer);
    console.error('qbo-connect: the npm process that started it has gone; stopping.');
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  timer.unref();
}

/** The parent of process `pid`, from /proc (Linux); undefined where there is no /proc or no such process. */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ppid …": the command may hold spaces and parentheses, so read after the last ")".
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
