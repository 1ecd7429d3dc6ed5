import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';
import { authenticate } from '../src/modules/auth/auth.service';
import { ALL_SCOPES, Scope } from '../src/modules/auth/scopes';
import { issueToken } from '../src/modules/auth/token.service';
import { seedDemo } from '../src/seed/demo';
import { ensureDemoToken } from '../src/seed/demo-token';

test('a saved demo token issued before a scope existed is replaced, so the playground can use every feature', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-demo-token-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = await initDatabase(loadConfig({ NODE_ENV: 'test' }, { databaseUrl: `file:${path.join(dir, 'd.db')}`, dataDir: dir }));
  t.after(() => db.orm.close(true));
  const demo = await seedDemo(db.em.fork());
  // As an older version saved it: every scope of its day, without inbox:manage.
  const old = await issueToken(db.em.fork(), {
    tenantId: demo.tenant.id,
    userId: demo.owner.id,
    name: 'demo playground',
    scopes: ALL_SCOPES.filter((s) => s !== Scope.INBOX_MANAGE),
  });
  fs.writeFileSync(path.join(dir, 'demo-token'), old.token + '\n');

  const token = await ensureDemoToken(db.em.fork(), dir);
  assert.notEqual(token, old.token);
  const viewer = await authenticate(db.em.fork(), token!);
  assert.ok(viewer?.scopes.has(Scope.INBOX_MANAGE));
  assert.equal(await ensureDemoToken(db.em.fork(), dir), token, 'a complete one is kept');
});
