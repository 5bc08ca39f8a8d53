// Lint: type-aware rules from typescript-eslint (they read the types the compiler infers, across files and
// node_modules), chosen for the bugs this code base can have: a promise nobody awaits, a promise handed where a
// callback's result is ignored, an await on something that is not a promise, and code nothing uses.
// Formatting is Prettier's job (`npm run format`); no rule here is about layout.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['cdk.out*/**', '.local/**', 'node_modules/**', 'docs/**', 'coverage/**'] },
  {
    files: ['{bin,lib,lambdas,scripts,test}/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      'no-unused-private-class-members': 'error',
      'no-unreachable': 'error',
    },
  },
);
