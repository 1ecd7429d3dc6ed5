import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createServer } from '../src/server';
import { ViewerDocument, InboxListDocument } from './generated/graphql';
import { GqlClient, errorCode } from './helpers/client';

const ROOT = path.resolve(__dirname, '..');

/** `npm run token -- …` against a fresh database, exactly as an operator would use it. */
test('the token CLI creates a tenant, a user and a scoped token that the API accepts, and revokes it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DATA_DIR: dir, DATABASE_URL: `file:${path.join(dir, 'cli.db')}` };
  // Async, so the in-process server keeps serving (and its keep-alive sockets stay healthy) meanwhile.
  const cli = async (...args: string[]) =>
    (
      await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/cli/token.ts', ...args], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      })
    ).stdout.trim();

  const tenantId = await cli('tenant:create', '--name', 'Globex');
  assert.match(tenantId, /^tn_/);
  const userId = await cli('user:create', '--tenant', tenantId, '--name', 'Gina', '--email', 'gina@globex.test', '--role', 'admin');
  assert.match(userId, /^usr_/);
  const out = await cli('token:create', '--user', userId, '--scopes', 'conversation:read');
  const token = out.split('\n').pop()!;
  const tokenId = /token id: (tok_\S+)/.exec(out)![1];
  assert.match(token, /^sb_/);

  const server = await createServer(loadConfig(env, { port: 0, host: '127.0.0.1', seedDemo: false }));
  t.after(() => server.close());
  const client = new GqlClient(server.url, token);
  const { viewer } = await client.data(ViewerDocument);
  assert.equal(viewer.tenant.name, 'Globex');
  assert.deepEqual(viewer.scopes, ['CONVERSATION_READ']);
  assert.equal(errorCode(await client.request(InboxListDocument, { first: 1 })), 'FORBIDDEN', 'no conversation:list scope');

  await assert.rejects(cli('token:create', '--user', userId, '--scopes', 'conversation:everything'), /Unknown scope/);
  assert.match(await cli('token:revoke', '--tenant', tenantId, '--token', tokenId), /revoked/);
  assert.equal(errorCode(await client.request(ViewerDocument)), 'UNAUTHENTICATED');
});
