// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * A relative path with `.` or `..` after its start (`./../x`, `../protocol/../transport/x`):
 * the rules match paths as written, so a path must be written the short way to be judged.
 */
const UNNORMALIZED = {
  regex: '^\\.{1,2}/(?:.*/)?\\.{1,2}/',
  message:
    'write the relative path without `.` or `..` after its start, so the layer rules can judge it',
};
const CLIENT_OUTSIDE =
  'the client is bundled as one module: it imports nothing of carom outside src/client but types of src/protocol';

/**
 * The import rule of one layer: from a file in `glob`, a parent-relative import
 * must land in one of `allowed` (folders of src), and the package never
 * imports itself by name.
 * @param {string} glob
 * @param {string[]} allowed
 * @param {string} message
 */
function layer(glob, allowed, message) {
  return {
    files: [glob],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^\\.\\./(?!(?:${allowed.join('|')})/)`, message },
            {
              regex: '^carom(?:/|$)',
              message: 'import carom by relative path, never by its package name',
            },
            UNNORMALIZED,
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['build/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Type-aware rules on the shipped code: floating promises, unsafe `any` flows and
  // the like are where a hostile value slips past a guard.
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({
    ...config,
    files: ['src/**/*.ts'],
  })),
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
    },
  },
  // The layers: protocol <- core <- (decorators, transport) <- app.ts, the
  // composition root. Each folder lists what it may import; a wrong arrow is a
  // lint error. Paths are matched as written, so `../x/` means "folder x of
  // src" from a file directly in a layer's folder. `carom` itself (the
  // package's self-reference) is never a way round.
  layer(
    'src/protocol/**/*.ts',
    ['protocol'],
    'the protocol layer is pure: it imports nothing of carom outside src/protocol',
  ),
  layer(
    'src/core/**/*.ts',
    ['protocol', 'core'],
    'the core imports only src/protocol and src/core; a transport implements the seam in src/core/seam.ts',
  ),
  layer(
    'src/decorators/**/*.ts',
    ['protocol', 'core', 'decorators'],
    'decorators import only src/protocol, src/core and src/decorators',
  ),
  layer(
    'src/transport/**/*.ts',
    ['protocol', 'core', 'transport'],
    'a transport imports only src/protocol and src/core (never app.ts, src/testing, src/client)',
  ),
  layer(
    'src/redis/**/*.ts',
    ['protocol', 'core', 'redis'],
    'carom/redis imports only src/protocol and src/core (the main entry never loads it or its client)',
  ),
  layer(
    'src/metrics/**/*.ts',
    ['protocol', 'core', 'metrics'],
    'carom/metrics imports only src/protocol and src/core (the main entry never loads it or prom-client)',
  ),
  layer(
    'src/otel/**/*.ts',
    ['protocol', 'core', 'otel'],
    'carom/otel imports only src/protocol and src/core (the main entry never loads it or @opentelemetry/api)',
  ),
  layer(
    'src/asyncapi/**/*.ts',
    ['protocol', 'core', 'asyncapi'],
    'the AsyncAPI document imports only src/protocol and src/core; the app hands it what it describes',
  ),
  {
    // `carom/transport`'s entry types `acceptorOf(app: Carom)`: app.ts as a type, never a value.
    files: ['src/transport/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!(?:protocol|core|transport)/|app\\.js$)',
              message:
                'the transport entry imports only src/protocol, src/core and the type of app.ts',
            },
            {
              regex: '^\\.\\./app\\.js$',
              allowTypeImports: true,
              message: 'the transport entry imports app.ts for its type only',
            },
            {
              regex: '^carom(?:/|$)',
              message: 'import carom by relative path, never by its package name',
            },
            UNNORMALIZED,
          ],
        },
      ],
    },
  },
  {
    // The client is bundled into the one module served at `/carom/client.js`
    // (scripts/bundle-client.mjs): its files import one another freely; from
    // src/protocol, the wire's shapes as types, and at run time only the two
    // leaf tables that import nothing themselves (names.ts, errors.ts), so the
    // names and close codes have one home; nothing else of carom or of any
    // package, so the bundle holds the client and those tables alone.
    files: ['src/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./(?!protocol/)', message: CLIENT_OUTSIDE },
            {
              regex: '^\\.\\./protocol/(?!(?:names|errors)\\.js$)',
              allowTypeImports: true,
              message:
                'the client imports from src/protocol only types, and the values of names.ts and errors.ts',
            },
            {
              regex: '^carom(?:/|$)',
              message: 'import carom by relative path, never by its package name',
            },
            UNNORMALIZED,
            {
              regex: '^(?!\\.{1,2}/|carom(?:/|$))',
              allowTypeImports: true,
              message: 'the client is bundled with no dependencies: import packages as types only',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
