// Lint: typescript-eslint's recommended rules plus eslint-plugin-security, over all our TypeScript,
// and the map of docs/ARCHITECTURE.md §3 (eslint/part-boundaries.js) over src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';
import globals from 'globals';
import { partBoundaries } from './eslint/part-boundaries.js';

/** The shared vocabulary every part may use: leaf files at the root of src/ (user-facing-error: the one refusal, imports nothing; hash: canonical JSON and its digest). */
const leaves = ['context', 'config', 'log', 'user-facing-error', 'hash'];

/**
 * The arrows (ARCHITECTURE §3): part → the parts it may import. A part not listed (cli, app) may
 * import anything; since no listed part may import `app`, only the CLI reaches the composition root.
 * Tests (*.test.ts) are cross-part by nature (they start the emulator, build an app) and are exempt.
 */
export const architecture = {
  mayUse: {
    qbo: [],
    emulator: [],
    store: [],
    practice: ['store', ...leaves],
    accounts: ['store', ...leaves],
    connect: ['practice', 'qbo', 'store', ...leaves],
    jobs: ['connect', 'practice', 'qbo', 'store', ...leaves],
    server: ['jobs', 'connect', 'practice', 'accounts', 'qbo', 'store', ...leaves],
    context: ['config', 'log', 'store', 'qbo', 'connect', 'jobs'],
    config: [],
    log: [],
    hash: [],
    clock: ['context'],
    version: [],
    'data-folder': [],
    'user-facing-error': [],
  },
  // Two implementations that agree are evidence: the emulator shares only the wire types' shapes.
  typesOnly: { emulator: ['qbo/wire-types.ts'] },
  throughIndex: ['connect/plan'],
  typeOnlyFiles: ['context.ts'],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'test-results/', 'src/server/static/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Object lookups by computed key are how mapping tables work here; the rule flags every one.
      'security/detect-object-injection': 'off',
      // File paths come from configuration (data folder), never from a request.
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    plugins: { 'qbo-connect': { rules: { 'part-boundaries': partBoundaries } } },
    rules: { 'qbo-connect/part-boundaries': ['error', architecture] },
  },
);
