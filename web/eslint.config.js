// ESLint 9 (flat config) for the web page's modules (web/*.js) and its tests
// (tests/web/**/*.mjs). Run from web/ as `npm run lint`: the script runs ESLint from the
// repository's top with `-c web/eslint.config.js`, so the patterns below are relative to it
// (ESLint ignores files outside the directory its patterns start from).
import js from '@eslint/js';
import globals from 'globals';

const language = { ecmaVersion: 2024, sourceType: 'module' };
const rules = {
  'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
  'prefer-const': 'error',
  'no-var': 'error',
  eqeqeq: ['error', 'always'],
};

// The page's modules that touch the DOM; every other web/*.js is pure (no browser globals:
// `document` there is an error) and node imports it in tests/web/unit/.
const DOM_MODULES = ['app.js', 'common.js', 'lcd.js', 'bench.js', 'meter_app.js', 'fleet.js', 'faults.js', 'audit.js'].map((f) => `web/${f}`);

export default [
  { ignores: ['**/node_modules/', 'build/'] },
  { ...js.configs.recommended, files: ['web/*.js', 'tests/web/**/*.mjs'] },
  { files: DOM_MODULES, languageOptions: { ...language, globals: globals.browser }, rules },
  { files: ['web/*.js'], ignores: [...DOM_MODULES, 'web/eslint.config.js'], languageOptions: { ...language, globals: {} }, rules },
  { files: ['web/eslint.config.js'], languageOptions: { ...language, globals: globals.node }, rules },
  // The tests run by node; page.evaluate() callbacks in the browser test run in the page.
  {
    files: ['tests/web/**/*.mjs'],
    languageOptions: { ...language, globals: { ...globals.node, ...globals.browser } },
    rules,
  },
];
