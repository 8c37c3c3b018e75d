// Lint rules that guard the mesh's invariants: no dropped promises (a lost
// rejection is a lost slice), type-only imports kept explicit, no import
// cycles between modules, and the layout's boundaries (DESIGN §4).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// One folder per role; a new folder is covered by the zones below without editing them.
const AGENTS = readdirSync(join(import.meta.dirname, 'agents'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

// Who may import what (paths relative to this file). test/ is not restricted: tests reach
// into internals on purpose. No exceptions are needed today; one would be named here, in the
// zone's `except`, with the reason beside it.
const BOUNDARIES = [
  {
    // The shared layer is what agents and tools build on: it knows none of them.
    target: 'shared',
    from: ['agents', 'cli', 'scripts', 'bench', 'test'],
    message: 'shared/ must not import agents/, cli/, scripts/, bench/ or test/ (DESIGN §4).',
  },
  {
    target: 'agents',
    from: ['cli', 'scripts', 'bench', 'test'],
    message: 'An agent imports only shared/ and its own folder (DESIGN §4).',
  },
  // Agents talk over NATS only: an agent imports no other agent's folder.
  ...AGENTS.map((role) => ({
    target: `agents/${role}`,
    from: 'agents',
    except: [`./${role}`],
    message: `agents/${role} imports only shared/ and its own folder: other roles are reached over NATS (DESIGN §4).`,
  })),
  {
    // Tools reach an agent through its public surface, its index.ts, never its internals.
    target: ['cli', 'scripts', 'bench'],
    from: 'agents',
    except: AGENTS.map((role) => `./${role}/index.ts`),
    message:
      'Outside agents/, import an agent only through its index.ts (export what is needed there).',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.data/**',
      'dist/**',
      'models/**',
      'reports/**',
      'traces/**',
      'bin/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      // NodeNext: sources import `./x.js` and the file is `./x.ts`. Without this the import-x
      // rules cannot resolve a relative import and stay silent.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { maxDepth: 10, ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: BOUNDARIES },
      ],
    },
  },
  {
    // The dashboard's page modules run in the browser (served as they are, no build step).
    files: ['agents/api/dashboard/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'document',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'EventSource',
          'URLSearchParams',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
