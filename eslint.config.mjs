// Flat config: typescript-eslint's recommended rules (syntax-only, fast) over src, test, bench, scripts.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'data/', 'test/generated/', 'examples/apollo-client/generated/', 'src/db/migrations/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // type-graphql and MikroORM take class constructors as `Function`.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-namespace': 'off',
      'no-control-regex': 'error',
    },
  },
);
