/**
 * Issue 17: package.json carried dependencies imported nowhere (oauth4webapi, p-queue) and a dev tool
 * as a production dependency (tsx). The installed package gets `dependencies` only (npm install
 * --omit=dev), so: every dependency is imported by the code that runs (src/ less tests, bin/), and that
 * code imports no package that is not a dependency (a devDependency, or one only hoisted by chance).
 */
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const dependencies = Object.keys(pkg.dependencies ?? {});

/** Dev-only imports that runtime code makes on purpose, each with why it is safe without dev dependencies. */
const devImportsAllowed: Record<string, string> = {
  // bin/qbo-connect.js: in a development clone it runs src/ through tsx; an installed package has no
  // src/ and never reaches the import (and a missing tsx is caught: ERR_MODULE_NOT_FOUND → dist/).
  'bin/qbo-connect.js tsx': 'development clone only',
};

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(path.join(root, f)).isFile() && keep(f));
}

/** The code the installed product runs: src/ without its tests, and bin/. */
const runtimeFiles = [...filesUnder('src', (f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f)), ...filesUnder('bin', (f) => /\.[cm]?js$/.test(f))];

/** The package a specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative path or a Node built-in. */
function packageOf(specifier: string): string | undefined {
  if (/^[./]/.test(specifier) || specifier.startsWith('node:') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages a file loads at run time, read with TypeScript's parser: static imports and re-exports
 *  (not `import type`), side-effect imports, import(), require(), require.resolve(), and pino
 *  transport targets (pino loads those by name). */
function packagesLoaded(source: string, fileName = 'file.ts'): Set<string> {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const isTransport = (n: ts.Node): boolean =>
    (ts.isPropertyAssignment(n) && n.name.getText(file) === 'transport') || (ts.isCallExpression(n) && /(^|\.)transport$/.test(n.expression.getText(file)));
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression.getText(file);
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || callee === 'require' || callee === 'require.resolve') specifiers.push(node.arguments[0].text);
    } else if (ts.isPropertyAssignment(node) && node.name.getText(file) === 'target' && ts.isStringLiteralLike(node.initializer) && isTransport(node.parent.parent)) {
      specifiers.push(node.initializer.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return new Set(specifiers.map(packageOf).filter((p): p is string => p !== undefined));
}

describe('package.json dependencies against what the code loads (issue 17)', () => {
  const loadedBy = new Map<string, string[]>();
  for (const file of runtimeFiles) {
    for (const p of packagesLoaded(fs.readFileSync(path.join(root, file), 'utf8'), file)) loadedBy.set(p, [...(loadedBy.get(p) ?? []), file.split(path.sep).join('/')]);
  }

  it('finds the runtime code and its imports', () => {
    expect(runtimeFiles.length).toBeGreaterThan(50);
    expect(loadedBy.get('hono')?.length).toBeGreaterThan(0);
  });

  it('every dependency is loaded by src/ (not tests) or bin/', () => {
    const unused = dependencies.filter((d) => !loadedBy.has(d));
    expect(unused, `dependencies nothing at run time imports (move them to devDependencies or remove them): ${unused.join(', ')}`).toEqual([]);
  });

  it('runtime code loads only dependencies', () => {
    const wrong = [...loadedBy]
      .filter(([p]) => !dependencies.includes(p))
      .flatMap(([p, files]) =>
        files.filter((f) => !devImportsAllowed[`${f} ${p}`]).map((f) => `${f} loads ${p} (${pkg.devDependencies?.[p] ? 'a devDependency' : 'not in package.json'})`),
      );
    expect(wrong).toEqual([]);
  });

  it('the scanner sees each way of loading a package, and not type-only imports', () => {
    const seen = packagesLoaded(
      [
        "import a from 'alpha';",
        "import {\n  b,\n  c,\n} from '@scope/beta/sub';",
        "import type { T } from 'typeonly';",
        "export { d } from 'delta';",
        "import 'side-effect';",
        "const e = await import('epsilon');",
        "require.resolve('zeta/dist/z.js');",
        "pino.transport({ target: 'eta' });",
        "pino({ transport: { target: 'theta', options: {} } });",
        "z.toJSONSchema(s, { io: 'input', target: 'draft-2020-12' });",
        "// import x from 'commented';",
        "import fs from 'node:fs'; import path from 'path'; import './local.js';",
        "const s = 'import x from \\'in-a-string\\'';",
      ].join('\n'),
    );
    expect([...seen].sort()).toEqual(['@scope/beta', 'alpha', 'delta', 'epsilon', 'eta', 'side-effect', 'theta', 'zeta']);
  });
});
