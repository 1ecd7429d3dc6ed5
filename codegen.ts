import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents: each operation becomes a TypedDocumentNode checked against the emitted schema.graphql. */
const typedDocuments = {
  plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
  config: {
    enumsAsTypes: true,
    avoidOptionals: false,
    inputMaybeValue: 'T | null | undefined',
    scalars: { DateTimeISO: 'string', ID: 'string', Upload: 'unknown' },
    useTypeImports: true,
  },
};

/**
 * Everything generated from schema.graphql (git-ignored; `npm test` and `npm run typecheck` run this
 * first):
 * - test/generated/graphql.ts: the operations in test/operations/*.graphql, for the tests;
 * - examples/apollo-client/generated/graphql.ts: the example client's operations;
 * - examples/apollo-client/generated/possible-types.ts: the interfaces and unions with their
 *   members (`Node`, `InboxEvent`, `Actor`, `MessageContent`), which Apollo Client's cache needs
 *   as `possibleTypes` to match fragments on them.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'test/generated/graphql.ts': { documents: ['test/operations/**/*.graphql'], ...typedDocuments },
    'examples/apollo-client/generated/graphql.ts': { documents: ['examples/apollo-client/**/*.graphql'], ...typedDocuments },
    'examples/apollo-client/generated/possible-types.ts': {
      plugins: ['fragment-matcher'],
      // The Apollo Client 3 shape ({ possibleTypes }) is what Apollo Client 4's InMemoryCache takes too.
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
  hooks: {},
};

export default config;
