/**
 * Apollo Client checks its cache writes (and warns about data it would lose) only in development
 * mode, which its CommonJS build reads from `globalThis.__DEV__` once, when it loads. Import this
 * before anything that loads `@apollo/client`.
 */
(globalThis as { __DEV__?: boolean }).__DEV__ = true;

export {};
