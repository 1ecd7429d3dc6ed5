import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ConsoleMessage, Page } from 'playwright-core';
import { Topics } from '../src/pubsub/pubsub';
import { createEventLog, formatLogTime } from '../src/playground/client/event-log';
import { SimulateInboundDocument } from './generated/graphql';
import { launchChromium, skipWithoutChromium } from './helpers/chromium';
import { startTestServer } from './helpers/server';
import { TrackingPubSub } from './helpers/subscriptions';

/**
 * Console output a user of the page would call a fault: errors, CSP reports, and monaco's warning
 * that it could not start its web workers (it then runs the language services on the page's thread).
 */
function consoleProblem(message: ConsoleMessage): string | undefined {
  const text = message.text();
  if (message.type() === 'error') return `console error: ${text}`;
  if (/Content.Security.Policy/i.test(text)) return `CSP: ${text}`;
  if (message.type() === 'warning' && /worker/i.test(text)) return `worker warning: ${text}`;
  return undefined;
}

/** Non-network schemes (data:, blob:, about:) cannot leak a request off the machine. */
function isOffMachine(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) return false;
  return !(hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname));
}

/**
 * GraphiQL 5 editors are monaco editors; GraphiQL puts monaco on `globalThis.__MONACO`, and each
 * editor's text lives in a model whose URI ends in a fixed name. Page code is passed as strings:
 * this project compiles without the DOM lib.
 */
const MODEL = { query: 'operation.graphql', headers: 'request-headers.json', response: 'response.json' } as const;
type ModelName = keyof typeof MODEL;

function monacoModel(name: ModelName): string {
  return `globalThis.__MONACO?.editor.getModels().find((model) => model.uri.path.endsWith(${JSON.stringify(MODEL[name])}))`;
}

function editorValue(page: Page, name: ModelName): Promise<string> {
  return page.evaluate<string>(`${monacoModel(name)}?.getValue() ?? ''`);
}

const QUERY_EDITOR = '.graphiql-query-editor';
const RESPONSE = '.graphiql-response';
const EXECUTE_BUTTON = '.graphiql-execute-button';
const LOG_PANEL = '.graphiql-plugin .switchboard-log';

/** Polls `probe` (no eval in the page, see waitForEditorValue) until it returns something. */
async function until<T>(probe: () => Promise<T | undefined>, failure: () => Promise<string> | string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${await failure()} (after ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Polled from here rather than with page.waitForFunction: that one runs `eval` inside the page,
 * which the playground's Content-Security-Policy (rightly) forbids; page.evaluate goes through
 * the DevTools protocol, which CSP does not govern.
 */
function waitForEditorValue(page: Page, name: ModelName, timeoutMs = 30_000): Promise<string> {
  return until(
    async () => {
      const value = await editorValue(page, name);
      return value.trim() === '' ? undefined : value;
    },
    () => `the ${name} editor is still empty`,
    timeoutMs,
  );
}

/**
 * Replaces the active tab's operation, as pasting it would: one edit of the whole text through
 * monaco (typing it key by key would have monaco auto-close brackets and indent, as it does for a
 * person typing), which GraphiQL sees like any other edit.
 */
async function setQuery(page: Page, query: string): Promise<void> {
  await page.evaluate(`(() => {
    const model = ${monacoModel('query')};
    model.pushEditOperations([], [{ range: model.getFullModelRange(), text: ${JSON.stringify(query)} }], () => null);
  })()`);
  assert.equal(await editorValue(page, 'query'), query);
}

/** Waits for GraphiQL's editors to be up (monaco loads after the first render) with the headers filled in. */
async function waitForEditors(page: Page): Promise<string> {
  await page.waitForSelector(`${QUERY_EDITOR} .monaco-editor`);
  await page.waitForSelector(`${RESPONSE} .monaco-editor`);
  return waitForEditorValue(page, 'headers');
}

/** Waits for the run button to read "Execute" or "Stop": GraphiQL's own sign of a running operation. */
function waitForRunButton(page: Page, state: 'Execute' | 'Stop'): Promise<true> {
  const label = () => page.getAttribute(EXECUTE_BUTTON, 'aria-label');
  return until(
    async () => ((await label())?.startsWith(state) ? true : undefined),
    async () => `the run button still says ${JSON.stringify(await label())}, not ${state}`,
  );
}

/**
 * GraphiQL shows only the latest result of a subscription, as a person watching the pane sees one
 * event replace the previous. The page keeps every value the response pane showed, so a check
 * sees the whole sequence however slowly it polls.
 */
async function recordResponses(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const model = ${monacoModel('response')};
    const shown = (window.__shownResponses = []);
    model.onDidChangeContent(() => {
      const value = model.getValue();
      if (value.trim() !== '') shown.push(value);
    });
  })()`);
}

/** Everything the response pane showed since `recordResponses`, oldest first. */
function shownResponses(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__shownResponses.slice()');
}

/** The selection of the subscription the test runs, as a reader of the pane gets it. */
interface PaneEvent {
  __typename: string;
  cursor: string;
  type: string;
  to?: string;
  message?: { id: string; direction?: string };
}

/** The `data` of the results this file's operations show in the pane (each selects one of these). */
interface PaneData {
  inboxEvents?: PaneEvent;
  sendMessage?: { message: { id: string; direction: string; deliveryStatus: string } };
  simulateInboundMessage?: { message: { id: string; direction: string }; conversation: { id: string } };
}

/**
 * Waits until the response pane has shown (from the `from`-th value on) a result that `pick`
 * recognises; fails at once on a pane showing errors rather than data.
 */
async function waitForResponse<T>(
  page: Page,
  from: number,
  pick: (data: PaneData) => T | undefined,
  what: string,
): Promise<{ found: T; index: number }> {
  let seen: string[] = [];
  return until(
    async () => {
      seen = (await shownResponses(page)).slice(from);
      for (const [offset, text] of seen.entries()) {
        let result: { data?: PaneData | null; errors?: unknown };
        try {
          result = JSON.parse(text) as typeof result;
        } catch {
          throw new Error(`the response pane shows something that is not JSON while waiting for ${what}:\n${text}`);
        }
        if (result.errors !== undefined || !result.data)
          throw new Error(`the response pane shows no data while waiting for ${what}:\n${text}`);
        const found = pick(result.data);
        if (found !== undefined) return { found, index: from + offset };
      }
      return undefined;
    },
    () => `the response pane never showed ${what}; it showed:\n${seen.join('\n') || '(nothing)'}`,
  );
}

function paneEvent(text: string): PaneEvent {
  return (JSON.parse(text) as { data: { inboxEvents: PaneEvent } }).data.inboxEvents;
}

/** One line of the playground's "Subscription log" panel, as shown. */
interface LogLine {
  kind: string;
  /** The time shown, HH:MM:SS.mmm. */
  time: string;
  /** The same moment in full, from the <time> element's datetime. */
  at: string;
  operation: string;
  payload?: string;
}

/** What the subscription log panel lists right now, top to bottom. */
function logLines(page: Page): Promise<LogLine[]> {
  return page.evaluate<LogLine[]>(`[...document.querySelectorAll(${JSON.stringify(`${LOG_PANEL} .switchboard-log-entry`)})].map((li) => ({
    kind: li.getAttribute('data-kind'),
    time: li.querySelector('time')?.textContent ?? '',
    at: li.querySelector('time')?.getAttribute('datetime') ?? '',
    operation: li.querySelector('.switchboard-log-operation')?.textContent ?? '',
    ...(li.querySelector('pre') ? { payload: li.querySelector('pre').textContent } : {}),
  }))`);
}

/** The inbox events a log lists, in its order. */
function loggedEvents(lines: LogLine[]): PaneEvent[] {
  return lines
    .filter((line) => line.kind === 'event')
    .map((line) => (JSON.parse(line.payload ?? 'null') as { data: { inboxEvents: PaneEvent } }).data.inboxEvents);
}

function describeEvent(e: PaneEvent): string {
  return e.__typename === 'MessageAddedEvent' ? `added ${e.message?.direction}` : `status ${e.to}`;
}

/** The subscription a user would write to follow the inbox, resuming `after` a cursor if given. */
function inboxEventsSubscription(after?: string): string {
  return `subscription {
  inboxEvents${after === undefined ? '' : `(after: ${JSON.stringify(after)})`} {
    __typename
    cursor
    type
    ... on MessageStatusChangedEvent { to message { id } }
    ... on MessageAddedEvent { message { id direction } }
  }
}
`;
}

test('subscription log: newest last, bounded with a count of what it dropped, emptied by Clear', () => {
  let clock = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  const log = createEventLog(3, () => clock++);
  let changes = 0;
  const unsubscribe = log.subscribe(() => changes++);
  log.add('started', 'inboxEvents');
  for (const to of ['SENT', 'DELIVERED', 'READ']) log.add('event', 'inboxEvents', { data: { inboxEvents: { to } } });
  const { entries, dropped } = log.getSnapshot();
  assert.deepEqual(
    entries.map((e) => [e.kind, (e.payload as { data: { inboxEvents: { to: string } } } | undefined)?.data.inboxEvents.to]),
    [
      ['event', 'SENT'],
      ['event', 'DELIVERED'],
      ['event', 'READ'],
    ],
  );
  assert.equal(dropped, 1, 'the oldest entry made room and is counted');
  assert.deepEqual(
    entries.map((e) => e.at),
    [...entries.map((e) => e.at)].sort((a, b) => a - b),
  );
  assert.match(formatLogTime(entries[0]!.at), /^\d\d:\d\d:\d\d\.\d{3}$/);
  assert.equal(changes, 4);

  log.clear();
  assert.deepEqual(log.getSnapshot(), { entries: [], dropped: 0 });
  log.add('event', 'inboxEvents', {});
  assert.ok(log.getSnapshot().entries[0]!.id > entries.at(-1)!.id, 'ids are not reused after Clear (React keys)');
  unsubscribe();
  log.clear();
  assert.equal(changes, 6, 'no call after unsubscribing');
  assert.throws(() => createEventLog(0), RangeError);
});

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
    if (skipWithoutChromium(t)) return;

    // The expected answer comes from the API itself, so the test does not depend on seed ids.
    const direct = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.demoToken}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    const expected = (await direct.json()) as { data?: { viewer?: { id?: string } } };
    assert.equal(typeof expected.data?.viewer?.id, 'string', `viewer id via HTTP: ${JSON.stringify(expected)}`);

    const browser = await launchChromium();
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });

    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      const problem = consoleProblem(message);
      if (problem) problems.push(problem);
    });
    // Recorded above, aborted here: without internet an outside request would only hang until a timeout.
    await page.route(
      (url) => isOffMachine(url.toString()),
      (route) => route.abort('blockedbyclient'),
    );

    try {
      const navigation = await page.goto(server.url);
      assert.match(navigation?.headers()['content-type'] ?? '', /^text\/html/);
      assert.match(await waitForEditors(page), new RegExp(`Bearer ${server.demoToken}`));
      assert.match(await editorValue(page, 'query'), /^query Welcome \{/m, 'the welcome query is prefilled');

      await setQuery(page, '{ viewer { id } }');
      await page.click(EXECUTE_BUTTON);
      const shown = await waitForEditorValue(page, 'response');
      // Only data: the test server adds `extensions` (SQL statement counts) that vary per request.
      const result = JSON.parse(shown) as { data?: unknown; errors?: unknown };
      assert.equal(result.errors, undefined, shown);
      assert.deepEqual(result.data, { viewer: { id: expected.data?.viewer?.id } }, shown);

      // The docs explorer reads the introspected schema: Query, then one of its fields.
      await page.click('button[aria-label="Show Documentation Explorer"]');
      await page.click('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name:text-is("Query")');
      await page.waitForSelector('.graphiql-doc-explorer-title:has-text("Query")');
      await page.waitForSelector('.graphiql-doc-explorer a.graphiql-doc-explorer-field-name:has-text("viewer")');

      // The history lists the operation just run.
      await page.click('button[aria-label="Show History"]');
      const historyItem = await page.waitForSelector('.graphiql-history-item-label');
      assert.match((await historyItem.textContent()) ?? '', /viewer/);

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

test('playground: watch a send reach READ, play the customer, stop and resume from the last cursor', { timeout: 180_000 }, async (t) => {
  if (skipWithoutChromium(t)) return;
  // Observed so the test knows when the page's subscription really listens on the server, instead of sleeping.
  const pubsub = new TrackingPubSub();
  const server = await startTestServer({ pubsub });
  t.after(() => server.close());
  const topic = Topics.tenant(server.demo.tenant.id);
  const anna = server.demo.conversations.find((c) => c.name === 'Anna Kowalska');
  assert.ok(anna, 'the demo seed has Anna Kowalska on WhatsApp');

  const browser = await launchChromium();
  // Two windows of the playground, as a user would open them: GraphiQL has one execution for all
  // its tabs (clicking another tab stops a running subscription, and a new tab shows its results),
  // so the sends cannot come from a second tab of the watching window.
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const watcher = await context.newPage();
  const sender = await context.newPage();

  const requested: string[] = [];
  const problems: string[] = [];
  /** HTTP operations the watching window sends once its subscription runs: none, it does not poll. */
  const watcherPolls: string[] = [];
  let watching = false;
  for (const [name, page] of [
    ['watcher', watcher],
    ['sender', sender],
  ] as const) {
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('pageerror', (error) => problems.push(`${name} page error: ${error.message}`));
    page.on('console', (message) => {
      const problem = consoleProblem(message);
      if (problem) problems.push(`${name} ${problem}`);
    });
    await page.route(
      (url) => isOffMachine(url.toString()),
      (route) => route.abort('blockedbyclient'),
    );
  }
  watcher.on('request', (request) => {
    // Schema introspection may still be in flight from page load; anything else would be polling.
    if (watching && request.method() === 'POST' && !(request.postData() ?? '').includes('__schema'))
      watcherPolls.push(request.postData() ?? '');
  });
  /** The watching window's websockets, to see the connection go when the subscription stops. */
  const watcherSockets: { open: boolean }[] = [];
  watcher.on('websocket', (socket) => {
    const entry = { open: true };
    watcherSockets.push(entry);
    socket.on('close', () => (entry.open = false));
  });

  const open = async (page: Page) => {
    // Only the page in front gets animation frames at full rate, and Playwright's click waits on them.
    await page.bringToFront();
    await page.goto(server.url);
    assert.match(await waitForEditors(page), new RegExp(`Bearer ${server.demoToken}`));
    await recordResponses(page);
  };
  /** Runs the active tab's operation and waits for its (single) result in the pane. */
  const runInSender = async <T>(query: string, pick: (data: PaneData) => T | undefined, what: string): Promise<T> => {
    await sender.bringToFront();
    await setQuery(sender, query);
    const from = (await shownResponses(sender)).length;
    await sender.click(EXECUTE_BUTTON);
    return (await waitForResponse(sender, from, pick, what)).found;
  };
  /** Runs a subscription in the watching window and returns once the server listens for it. */
  const subscribeInWatcher = async (query: string): Promise<number> => {
    await watcher.bringToFront();
    await setQuery(watcher, query);
    const from = (await shownResponses(watcher)).length;
    const opened = pubsub.subscriptionsOpened(topic);
    await watcher.click(EXECUTE_BUTTON);
    await waitForRunButton(watcher, 'Stop');
    await pubsub.waitForOpened(topic, opened, 30_000);
    return from;
  };

  try {
    await open(watcher);
    await open(sender);
    const listeners = pubsub.subscriberCount(topic);

    // 1. A subscription tab, then a send from the other window: the status moves to READ on its own.
    const live = await subscribeInWatcher(inboxEventsSubscription());
    watching = true;
    const sent = await runInSender(
      `mutation SendFromPlayground {
  sendMessage(input: {
    recipient: { conversation: { conversationId: ${JSON.stringify(anna.id)} } }
    content: { text: { body: "Your parcel left the warehouse this morning." } }
  }) {
    message { id direction deliveryStatus }
  }
}
`,
      (data) => data.sendMessage?.message,
      'the sendMessage result',
    );
    assert.equal(sent.direction, 'OUTBOUND');
    const read = await waitForResponse(
      watcher,
      live,
      (data) => (data.inboxEvents?.message?.id === sent.id && data.inboxEvents.to === 'READ' ? true : undefined),
      `MessageStatusChangedEvent to READ for ${sent.id}`,
    );
    const watched = (await shownResponses(watcher))
      .slice(live, read.index + 1)
      .map(paneEvent)
      .filter((e) => e.message?.id === sent.id);
    assert.deepEqual(
      watched.map(describeEvent),
      ['added OUTBOUND', 'status SENT', 'status DELIVERED', 'status READ'],
      'the pane showed the message arrive, then each step of its delivery in order',
    );

    // The response pane ends on READ; the subscription log (opened by itself) keeps every step.
    const logged = await until(
      async () => {
        const lines = await logLines(watcher);
        return loggedEvents(lines).some((e) => e.message?.id === sent.id && e.to === 'READ') ? lines : undefined;
      },
      async () => `the subscription log never listed READ for ${sent.id}; it lists:\n${JSON.stringify(await logLines(watcher), null, 2)}`,
    );
    assert.deepEqual(
      { kind: logged[0]?.kind, operation: logged[0]?.operation },
      { kind: 'started', operation: 'inboxEvents' },
      'the log starts with the subscription, named after its field',
    );
    assert.deepEqual(
      loggedEvents(logged)
        .filter((e) => e.message?.id === sent.id)
        .map(describeEvent),
      ['added OUTBOUND', 'status SENT', 'status DELIVERED', 'status READ'],
      'the log lists the message arriving and each step of its delivery, newest last',
    );
    assert.deepEqual(
      loggedEvents(logged),
      (await shownResponses(watcher)).slice(live, live + loggedEvents(logged).length).map(paneEvent),
      'the log lists the very events the pane showed, in the same order',
    );
    const eventLines = logged.filter((line) => line.kind === 'event');
    for (const line of eventLines) assert.match(line.time, /^\d\d:\d\d:\d\d\.\d{3}$/, 'each event shows when it arrived');
    const moments = eventLines.map((line) => Date.parse(line.at));
    assert.deepEqual(
      moments,
      [...moments].sort((a, b) => a - b),
      'newest last',
    );

    // 2. Play the customer from the other window: the inbound message arrives in the subscription tab.
    const inbound = await runInSender(
      `mutation PlayTheCustomer {
  simulateInboundMessage(inboxId: ${JSON.stringify(server.demo.whatsapp.id)}, from: ${JSON.stringify(anna.externalId)}, text: "Great, thank you!") {
    message { id direction }
    conversation { id }
  }
}
`,
      (data) => data.simulateInboundMessage,
      'the simulateInboundMessage result',
    );
    assert.equal(inbound.conversation.id, anna.id, "the customer's message continues Anna's conversation");
    const arrived = await waitForResponse(
      watcher,
      live,
      (data) =>
        data.inboxEvents?.__typename === 'MessageAddedEvent' && data.inboxEvents.message?.id === inbound.message.id
          ? data.inboxEvents.message
          : undefined,
      `MessageAddedEvent for ${inbound.message.id}`,
    );
    assert.equal(arrived.found.direction, 'INBOUND');
    watching = false;
    assert.deepEqual(watcherPolls, [], 'the subscription tab got every event without sending a request');

    // 3. Stop (the connection goes), miss an event, resume after the last cursor shown: nothing is lost or repeated.
    await watcher.bringToFront();
    await watcher.click(EXECUTE_BUTTON);
    await waitForRunButton(watcher, 'Execute');
    await pubsub.waitFor(topic, (count) => count === listeners, 30_000);
    // The page's client is lazy: with its only subscription stopped, it closes the socket.
    await until(
      async () => (watcherSockets.length > 0 && watcherSockets.every((socket) => !socket.open) ? true : undefined),
      () => `the watching window's websocket stayed open after the stop (${watcherSockets.length} opened)`,
    );
    const socketsBeforeResume = watcherSockets.length;
    const stoppedLog = await logLines(watcher);
    assert.deepEqual(
      { kind: stoppedLog.at(-1)?.kind, operation: stoppedLog.at(-1)?.operation },
      { kind: 'stopped', operation: 'inboxEvents' },
      'the log shows where the subscription stopped',
    );
    assert.deepEqual(
      loggedEvents(stoppedLog).map((e) => e.cursor),
      (await shownResponses(watcher)).slice(live).map((text) => paneEvent(text).cursor),
      'the log kept every event of the run, the inbound message included',
    );
    // Clear empties the log; the next run starts a fresh list.
    await watcher.click(`${LOG_PANEL} button:has-text("Clear")`);
    await until(
      async () => ((await logLines(watcher)).length === 0 ? true : undefined),
      async () => `the log still lists ${(await logLines(watcher)).length} entries after Clear`,
    );
    const beforeStop = (await shownResponses(watcher)).slice(live).map(paneEvent);
    const lastCursor = paneEvent(await editorValue(watcher, 'response')).cursor;
    assert.equal(lastCursor, beforeStop.at(-1)?.cursor, 'the pane still shows the last event received');

    const { simulateInboundMessage: missed } = await server.client().data(SimulateInboundDocument, {
      inboxId: server.demo.whatsapp.id,
      from: anna.externalId,
      text: 'Sorry, one more question: do you open on Sunday?',
      name: null,
    });

    const resumed = await subscribeInWatcher(inboxEventsSubscription(lastCursor));
    assert.ok(
      watcherSockets.length > socketsBeforeResume && watcherSockets.at(-1)?.open,
      'the resumed subscription runs on a new connection',
    );
    const replay = await waitForResponse(
      watcher,
      resumed,
      (data) => (data.inboxEvents?.message?.id === missed.message.id ? data.inboxEvents : undefined),
      `the replayed MessageAddedEvent for ${missed.message.id}`,
    );
    assert.equal(replay.found.__typename, 'MessageAddedEvent');
    assert.equal(replay.found.message?.direction, 'INBOUND');
    const replayed = (await shownResponses(watcher)).slice(resumed).map(paneEvent);
    const resumedLog = await logLines(watcher);
    assert.deepEqual(
      resumedLog.slice(0, 2).map((line) => line.kind),
      ['started', 'event'],
      'after Clear the log holds only the resumed run',
    );
    assert.equal(loggedEvents(resumedLog)[0]?.message?.id, missed.message.id, 'the replayed event is logged first');
    assert.equal(replayed[0]?.message?.id, missed.message.id, 'the first event after the cursor is the one written while stopped');
    const before = new Set(beforeStop.map((e) => e.cursor));
    assert.deepEqual(
      replayed.filter((e) => before.has(e.cursor)),
      [],
      'nothing seen before the stop comes again',
    );

    // The resumed subscription is live again once it has caught up.
    const after = await runInSender(
      `mutation PlayTheCustomerAgain {
  simulateInboundMessage(inboxId: ${JSON.stringify(server.demo.whatsapp.id)}, from: ${JSON.stringify(anna.externalId)}, text: "See you at 5pm.") {
    message { id }
  }
}
`,
      (data) => data.simulateInboundMessage?.message,
      'the second simulateInboundMessage result',
    );
    await waitForResponse(
      watcher,
      resumed,
      (data) => (data.inboxEvents?.message?.id === after.id ? true : undefined),
      `MessageAddedEvent for ${after.id} after resuming`,
    );

    await watcher.bringToFront();
    await watcher.screenshot({ path: '/tmp/playground-subscription.png' });
    assert.deepEqual(requested.filter(isOffMachine), [], 'the pages must not reach any host but the server');
    assert.ok(
      requested.some((url) => url.startsWith(server.url.replace(/^http/, 'ws'))),
      'the subscription went over the websocket on the GraphQL endpoint',
    );
    assert.deepEqual(problems, []);
  } catch (error) {
    const shot = path.join(os.tmpdir(), 'switchboard-playground-subscription-failure.png');
    await watcher.screenshot({ path: shot }).catch(() => undefined);
    if (error instanceof Error) error.message += `\n(screenshot of the subscription window: ${shot})`;
    throw error;
  } finally {
    // Before the server closes (t.after), so the page's websocket goes first.
    await browser.close();
  }
});
