/**
 * Checks DATABASE_URL: `file:<path>`, a plain file path or `:memory:` (SQLite), or
 * `postgres://` / `postgresql://` (PostgreSQL). Anything else — `mysql://…`, `http://…`, a typo in
 * the scheme — is refused at start-up, instead of quietly becoming an SQLite file named after the
 * scheme. The message names the variable and the scheme only (the URL may hold a password).
 */
export function parseDatabaseUrl(raw: string): string {
  const url = raw.trim();
  if (url === '') throw new Error('DATABASE_URL is empty: use file:<path>, a file path, :memory: or postgres://user@host:5432/db');
  if (url === ':memory:' || url.startsWith('file:') || /^postgres(ql)?:\/\//.test(url)) return url;
  // A scheme is letters followed by ":" — but "C:\…" / "C:/…" is a Windows path, not a scheme.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (scheme && !/^[a-z]:[\\/]/i.test(url)) {
    throw new Error(
      `DATABASE_URL must be file:<path>, a file path, :memory: or postgres://user@host:5432/db; "${scheme}:" is not supported` +
        (/^postgres/i.test(scheme) ? ' (write postgres:// or postgresql://)' : ''),
    );
  }
  return url;
}
