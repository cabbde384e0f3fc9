/**
 * The assets the pages use, served by the product itself (no CDN: the CSP allows only 'self', and
 * the machines may have no outside network). htmx comes from the installed htmx.org package; the
 * stylesheet from server/static/ beside the code. Both are read once at start-up.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import type { WebEnv } from './env.js';

const require = createRequire(import.meta.url);

function readAsset(resolve: () => string): string {
  return fs.readFileSync(resolve(), 'utf8');
}

export function mountStatic(app: Hono<WebEnv>): void {
  const htmx = readAsset(() => require.resolve('htmx.org/dist/htmx.min.js'));
  // Beside this module: src/server/static/ in a clone, dist/server/static/ in a build (`npm run build`
  // copies it there; the package ships dist/ only). The src/ fallback: a dist/ compiled by tsc alone.
  const css = readAsset(() => {
    const candidates = [new URL('../static/app.css', import.meta.url), new URL('../../../src/server/static/app.css', import.meta.url)].map((u) => fileURLToPath(u));
    const found = candidates.find((f) => fs.existsSync(f));
    if (!found) throw new Error(`The stylesheet app.css is missing (looked in ${candidates.join(', ')}); reinstall QBO Connect.`);
    return found;
  });
  const serve = (body: string, type: string) => (c: Context<WebEnv>) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(body, 200, { 'Content-Type': type });
  };
  app.get('/static/htmx.min.js', serve(htmx, 'text/javascript; charset=utf-8'));
  app.get('/static/app.css', serve(css, 'text/css; charset=utf-8'));
}
