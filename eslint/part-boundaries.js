/**
 * The map of docs/ARCHITECTURE.md §3 as a lint rule, so `npm run lint` fails the day an arrow turns.
 * Each relative import (static, re-export or dynamic) in a file under src/ is resolved to the part it
 * reaches — the first folder under src/, or a root file such as `app.ts` — and checked against the
 * table in eslint.config.js: which parts a part may use, and which folders are entered only through
 * their index. A path resolved from the file, not a pattern on the text, so `../..` at any depth counts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's src/, wherever ESLint runs from. */
const src = fileURLToPath(new URL('../src', import.meta.url));

const partOf = (rel) => rel.split(path.sep)[0].replace(/\.(ts|tsx|js)$/, '');
const noExt = (p) => p.replace(/\.(ts|tsx|js)$/, '');

/** @type {import('eslint').Rule.RuleModule} */
export const partBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the arrows of docs/ARCHITECTURE.md' },
    schema: [
      {
        type: 'object',
        properties: {
          /** part → the parts it may import (itself always); parts not listed may import anything. */
          mayUse: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          /** Part → files of other parts it may import as types only (the emulator and qbo/wire-types). */
          typesOnly: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          /** Folders under src/ entered from outside only through their index. */
          throughIndex: { type: 'array', items: { type: 'string' } },
          /** Files under src/ whose imports must all be `import type` (the leaf vocabulary). */
          typeOnlyFiles: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      arrow: '{{from}} must not import {{to}} ({{target}}): docs/ARCHITECTURE.md §3 lets {{from}} use only {{allowed}}.',
      deep: '{{target}} is inside {{folder}}/: import it from {{folder}}/index.js (ARCHITECTURE §3).',
      typeOnly: '{{file}} imports only types (it is the leaf every part may use); `{{source}}` is a value import.',
    },
  },
  create(context) {
    const opts = context.options[0] ?? {};
    const file = context.filename;
    const relFile = path.relative(src, file);
    if (relFile.startsWith('..') || path.isAbsolute(relFile)) return {};
    const from = partOf(relFile);
    const typeOnlyFile = (opts.typeOnlyFiles ?? []).includes(relFile.split(path.sep).join('/'));

    function check(node, source, isType) {
      if (typeof source !== 'string') return;
      if (typeOnlyFile && !isType) context.report({ node, messageId: 'typeOnly', data: { file: relFile, source } });
      if (!source.startsWith('.')) return;
      const relTarget = path.relative(src, path.resolve(path.dirname(file), source));
      if (relTarget.startsWith('..')) return;
      const target = relTarget.split(path.sep).join('/');
      const to = partOf(relTarget);
      const allowed = opts.mayUse?.[from];
      if (to !== from && allowed && !allowed.includes(to)) {
        const typeOk = isType && (opts.typesOnly?.[from] ?? []).some((t) => noExt(target) === noExt(t));
        if (!typeOk) context.report({ node, messageId: 'arrow', data: { from, to, target, allowed: allowed.length ? allowed.join(', ') : 'nothing else in src/' } });
      }
      for (const folder of opts.throughIndex ?? []) {
        const inside = (p) => p.startsWith(folder + '/');
        if (inside(target) && !inside(relFile.split(path.sep).join('/')) && noExt(target) !== `${folder}/index`) {
          context.report({ node, messageId: 'deep', data: { target, folder } });
        }
      }
    }

    return {
      ImportDeclaration: (node) =>
        check(node, node.source.value, node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'))),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
    };
  },
};
