import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'bench/**',
      'scripts/**',
      // Checked-in JavaScript launchers of the CLI (see packages/server/bin/backplane.js): no TypeScript project.
      'packages/*/bin/**',
      'eslint.config.js',
      // Vite's build config: part of neither TypeScript project; vite loads it itself.
      'packages/dashboard/web/vite.config.ts',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.tests.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself tracks.
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser app has its own tsconfig (DOM lib, preact JSX, bundler resolution).
    files: ['packages/dashboard/web/**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { project: ['./packages/dashboard/web/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
  },
);
