import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isPostgres, loadConfig } from '../../src/config';

describe('DATABASE_URL', () => {
  test('SQLite files, :memory: and PostgreSQL URLs are accepted as given', () => {
    for (const url of [
      'file:data/switchboard.db',
      'file:/var/lib/switchboard/db.sqlite',
      'data/switchboard.db',
      '/var/lib/switchboard/db.sqlite',
      './local.db',
      ':memory:',
      'postgres://postgres@127.0.0.1:5432/test',
      'postgresql://user:secret@db.internal/switchboard',
    ]) {
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url, url);
    }
    assert.equal(isPostgres(loadConfig({ DATABASE_URL: 'postgresql://db/x' })), true);
  });

  test('unset or empty means the SQLite file in DATA_DIR', () => {
    const expected = `file:${path.join(path.resolve('/srv/sb'), 'switchboard.db')}`;
    assert.equal(loadConfig({ DATA_DIR: '/srv/sb' }).databaseUrl, expected);
    assert.equal(loadConfig({ DATA_DIR: '/srv/sb', DATABASE_URL: '' }).databaseUrl, expected);
  });

  test('any other scheme is a start-up error naming DATABASE_URL and the scheme, never the credentials', () => {
    for (const [url, scheme] of [
      ['mysql://root:hunter2@localhost:3306/switchboard', 'mysql:'],
      ['http://example.com/db', 'http:'],
      ['libsql://my-db.turso.io', 'libsql:'],
      ['sqlite://data/switchboard.db', 'sqlite:'],
      ['postgress://postgres@localhost/db', 'postgress:'],
      ['POSTGRES://postgres@localhost/db', 'POSTGRES:'],
    ]) {
      assert.throws(
        () => loadConfig({ DATABASE_URL: url }),
        (err: Error) => {
          assert.match(err.message, /^ {2}DATABASE_URL must be file:<path>, a file path, :memory: or postgres:\/\//m);
          assert.ok(err.message.includes(`"${scheme}"`), err.message);
          assert.ok(!err.message.includes('hunter2'), 'the password is not echoed');
          return true;
        },
        url,
      );
    }
  });
});
