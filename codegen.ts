import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the tests: every operation in test/operations/*.graphql becomes a
 * TypedDocumentNode in test/generated/graphql.ts, checked against the emitted schema.graphql.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        avoidOptionals: false,
        inputMaybeValue: 'T | null | undefined',
        scalars: { DateTimeISO: 'string', ID: 'string', Upload: 'unknown' },
        useTypeImports: true,
      },
    },
  },
  hooks: {},
};

export default config;
