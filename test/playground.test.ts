import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { startTestServer } from './helpers/server';

const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Non-network schemes (data:, blob:, about:) cannot leak a request off the machine. */
function isOffMachine(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) return false;
  return !(hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname));
}

/**
 * GraphiQL 3 editors are CodeMirror 5 instances hanging off their wrapper element. Page code is
 * passed as strings: this project compiles without the DOM lib.
 */
function codeMirror(selector: string): string {
  return `document.querySelector(${JSON.stringify(`${selector} .CodeMirror`)})?.CodeMirror`;
}

function editorValue(page: Page, selector: string): Promise<string> {
  return page.evaluate<string>(`${codeMirror(selector)}?.getValue() ?? ''`);
}

/**
 * Polled from here rather than with page.waitForFunction: that one runs `eval` inside the page,
 * which the playground's Content-Security-Policy (rightly) forbids; page.evaluate goes through
 * the DevTools protocol, which CSP does not govern.
 */
async function waitForEditorValue(page: Page, selector: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await editorValue(page, selector);
    if (value.trim() !== '') return value;
    if (Date.now() > deadline) throw new Error(`${selector} still empty after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const QUERY_EDITOR = '.graphiql-query-editor';
// The variables and headers editors share the tool pane; the hidden one carries `.hidden`.
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const RESPONSE = '.graphiql-response';

test('playground', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());

  await t.test('GET /graphql asking for JSON reaches Apollo, not the page', async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{__typename}')}`, {
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${server.demoToken}`,
        // Apollo's CSRF prevention blocks GETs without a preflight-forcing header.
        'apollo-require-preflight': 'true',
      },
    });
    const text = await response.text();
    assert.doesNotMatch(response.headers.get('content-type') ?? '', /text\/html/);
    assert.doesNotMatch(text, /<html/i);
    assert.equal(response.status, 200, text);
    assert.deepEqual((JSON.parse(text) as { data?: unknown }).data, { __typename: 'Query' });
  });

  await t.test('GET /graphql from a browser gets a page that references no other host', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-store', 'the page embeds a token');
    assert.doesNotMatch(html, /(https?:|wss?:)?\/\/[a-z0-9]/i, 'no absolute or protocol-relative URL in the page');
    for (const [, src] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      if (src.startsWith('data:')) continue;
      const asset = await fetch(new URL(src, server.url));
      assert.equal(asset.status, 200, `${src} is served`);
    }
  });

  await t.test('renders offline in Chromium and runs a query with the prefilled demo token', { timeout: 120_000 }, async (t) => {
    if (!existsSync(CHROMIUM_PATH)) {
      t.skip(`Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` to run this test`);
      return;
    }

    // The expected answer comes from the API itself, so the test does not depend on seed ids.
    const direct = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.demoToken}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    const expected = (await direct.json()) as { data?: { viewer?: { id?: string } } };
    assert.equal(typeof expected.data?.viewer?.id, 'string', `viewer id via HTTP: ${JSON.stringify(expected)}`);

    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });

    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    // Recorded above, aborted here: without internet an outside request would only hang until a timeout.
    await page.route(
      (url) => isOffMachine(url.toString()),
      (route) => route.abort('blockedbyclient'),
    );

    try {
      const navigation = await page.goto(server.url);
      assert.match(navigation?.headers()['content-type'] ?? '', /^text\/html/);
      await page.waitForSelector(`${QUERY_EDITOR} .CodeMirror`);
      await page.waitForSelector(`${HEADERS_EDITOR} .CodeMirror`);
      assert.match(await editorValue(page, HEADERS_EDITOR), new RegExp(`Bearer ${server.demoToken}`));

      await page.evaluate(`${codeMirror(QUERY_EDITOR)}.setValue(${JSON.stringify('{ viewer { id } }')})`);
      await page.click('.graphiql-execute-button');
      const shown = await waitForEditorValue(page, RESPONSE);
      // Only data: the test server adds `extensions` (SQL statement counts) that vary per request.
      const result = JSON.parse(shown) as { data?: unknown; errors?: unknown };
      assert.equal(result.errors, undefined, shown);
      assert.deepEqual(result.data, { viewer: { id: expected.data?.viewer?.id } }, shown);

      assert.ok(requested.length > 0, 'requests were recorded');
      assert.deepEqual(requested.filter(isOffMachine), [], 'the page must not reach any host but the server');
      assert.deepEqual(problems, []);
    } catch (error) {
      const shot = path.join(os.tmpdir(), 'switchboard-playground-failure.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      if (error instanceof Error) error.message += `\n(screenshot: ${shot}; requests: ${requested.join(', ')})`;
      throw error;
    }
  });
});
