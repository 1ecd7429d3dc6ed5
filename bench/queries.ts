import type { RunningServer } from '../src/server';
import { mergeLoadResults, type LoadResult, type LoadSpec } from './lib/load';
import { fmtMs, fmtRate, fmtRatio, renderTable, round } from './lib/report';
import { startBenchServer, type BenchContext, type BenchSection, type SectionResult } from './lib/section';
import { captureStatements, measureReplay, openReplayer, type ReplayResult } from './lib/sql-replay';

/**
 * The operations a client runs all day. Kept here (not imported from test/operations) so that a
 * change to the tests' documents doesn't silently change what the benchmark measures.
 */
export const INBOX_LIST = /* GraphQL */ `
  query BenchInboxList($first: Int!) {
    conversations(first: $first) {
      edges {
        cursor
        node {
          id
          name
          status
          channel
          lastActivityAt
          lastMessagePreview
          lastMessageSender
          unreadCount
          contact {
            id
            name
          }
          assignee {
            id
            name
          }
          inbox {
            id
            name
          }
          lastMessage {
            id
            contentKind
            deliveryStatus
            createdAt
          }
          window {
            canSend
            reason
            expiresAt
            allowedContent
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const MESSAGE_FIELDS = /* GraphQL */ `
  fragment BenchMessage on Message {
    id
    direction
    senderType
    contentKind
    deliveryStatus
    createdAt
    clientMessageId
    content {
      __typename
      ... on TextContent {
        body
      }
      ... on NoteContent {
        body
      }
      ... on MediaContent {
        mediaKind
        url
        caption
      }
      ... on TemplateContent {
        name
        language
      }
    }
    sender {
      __typename
      ... on User {
        id
        userName: name
      }
      ... on Contact {
        id
        contactName: name
      }
    }
    reactions {
      id
      emoji
      actor {
        __typename
        ... on User {
          id
        }
        ... on Contact {
          id
        }
      }
    }
  }
`;

export const CONVERSATION_VIEW = /* GraphQL */ `
  query BenchConversationView($id: ID!, $last: Int!) {
    conversation(id: $id) {
      id
      name
      status
      unreadCount
      window {
        canSend
        reason
        expiresAt
        allowedContent
      }
      contact {
        id
        name
      }
      assignee {
        id
      }
      inbox {
        id
        channel
      }
      messages(last: $last) {
        edges {
          cursor
          node {
            ...BenchMessage
          }
        }
        pageInfo {
          hasPreviousPage
          startCursor
        }
      }
    }
  }
  ${MESSAGE_FIELDS}
`;

export const MESSAGE_BY_ID = /* GraphQL */ `
  query BenchMessageById($id: ID!) {
    message(id: $id) {
      ...BenchMessage
      channelMessageId
      lastStatusAt
      failure {
        code
        reason
      }
      statusHistory {
        status
        at
      }
      conversation {
        id
      }
    }
  }
  ${MESSAGE_FIELDS}
`;

const TYPENAME = '{ __typename }';

interface Scenario {
  /** Key in the JSON line; stable across PRs. */
  key: string;
  label: string;
  query: string;
  /** Variables per request, sent round-robin (several targets, so no single row stays hot). */
  variables: (Record<string, unknown> | undefined)[];
  authorized: boolean;
  /** Served by the server with Apollo's default plugins left installed. */
  apolloDefaults?: boolean;
  /** Served by a server whose read paths hydrate managed entities (the read models' A/B). */
  entityReads?: boolean;
  /** Also replay its SQL straight through the driver. */
  replay: boolean;
  /** Measured interleaved with this scenario (an A/B comparison) instead of on its own. */
  abWith?: string;
}

interface Prepared {
  scenario: Scenario;
  spec: LoadSpec;
  sqlStatements: number[];
  responseBytes: number;
}

interface ScenarioResult {
  scenario: Scenario;
  /** `extensions.sqlStatements` of each distinct request. */
  sqlStatements: number[];
  responseBytes: number;
  http: LoadResult;
  raw: ReplayResult | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}–${Math.max(...xs)}`);

/** POSTs one operation and returns its SQL statement count; throws on any GraphQL error. */
async function probe(url: string, headers: Record<string, string>, body: string): Promise<{ sqlStatements: number; bytes: number }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  const json = JSON.parse(text) as { errors?: { message: string }[]; extensions?: { sqlStatements?: number } };
  if (!response.ok || json.errors?.length) throw new Error(`probe failed (${response.status}): ${text.slice(0, 500)}`);
  if (typeof json.extensions?.sqlStatements !== 'number')
    throw new Error('the server did not report extensions.sqlStatements (exposeSqlStats off?)');
  return { sqlStatements: json.extensions.sqlStatements, bytes: Buffer.byteLength(text) };
}

/**
 * Requests/s and latency over HTTP for the inbox list, the conversation view and `message(id)`, next to
 * two references: `{ __typename }` on the same server (what any request costs) and the same SQL run
 * straight through the driver (what the database work alone costs).
 */
export const queriesSection: BenchSection = {
  name: 'queries',
  title: 'Query benchmark',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const { options, workspace } = ctx;
    const authorization = `Bearer ${workspace.token}`;
    const scenarios: Scenario[] = [
      {
        key: 'typenameAnonymous',
        label: '{ __typename }, no token',
        query: TYPENAME,
        variables: [undefined],
        authorized: false,
        replay: false,
      },
      { key: 'typename', label: '{ __typename } [reference]', query: TYPENAME, variables: [undefined], authorized: true, replay: true },
      { key: 'inboxList', label: 'inbox list (50)', query: INBOX_LIST, variables: [{ first: 50 }], authorized: true, replay: true },
      {
        key: 'inboxListApolloDefaults',
        label: 'inbox list, Apollo default plugins',
        query: INBOX_LIST,
        variables: [{ first: 50 }],
        authorized: true,
        apolloDefaults: true,
        replay: false,
        abWith: 'inboxList',
      },
      {
        key: 'inboxListEntities',
        label: 'inbox list, managed entities (before #10)',
        query: INBOX_LIST,
        variables: [{ first: 50 }],
        authorized: true,
        entityReads: true,
        replay: false,
        abWith: 'inboxList',
      },
      {
        key: 'conversationView',
        label: `conversation view (last 50)`,
        query: CONVERSATION_VIEW,
        variables: workspace.viewConversationIds.map((id) => ({ id, last: 50 })),
        authorized: true,
        replay: true,
      },
      {
        key: 'conversationViewEntities',
        label: 'conversation view, managed entities (before #10)',
        query: CONVERSATION_VIEW,
        variables: workspace.viewConversationIds.map((id) => ({ id, last: 50 })),
        authorized: true,
        entityReads: true,
        replay: false,
        abWith: 'conversationView',
      },
      {
        key: 'messageById',
        label: 'message(id)',
        query: MESSAGE_BY_ID,
        variables: workspace.messageIds.map((id) => ({ id })),
        authorized: true,
        replay: true,
      },
      {
        key: 'messageByIdEntities',
        label: 'message(id), managed entities (before #10)',
        query: MESSAGE_BY_ID,
        variables: workspace.messageIds.map((id) => ({ id })),
        authorized: true,
        entityReads: true,
        replay: false,
        abWith: 'messageById',
      },
    ];

    const app = await startBenchServer(ctx);
    const withDefaults = await startBenchServer(ctx, { apolloDefaultPlugins: true });
    const withEntities = await startBenchServer(ctx, { entityReads: true });
    const results: ScenarioResult[] = [];
    const captured = new Map<string, string[][]>();
    try {
      const prepared: Prepared[] = [];
      for (const scenario of scenarios) {
        const server: RunningServer = scenario.apolloDefaults ? withDefaults : scenario.entityReads ? withEntities : app;
        const headers: Record<string, string> = scenario.authorized ? { authorization } : {};
        const bodies = scenario.variables.map((variables) => JSON.stringify({ query: scenario.query, variables }));
        const probes = [];
        for (const body of bodies) probes.push(await probe(server.url, headers, body));
        const sqlStatements = probes.map((p) => p.sqlStatements);
        if (scenario.replay) {
          const sets: string[][] = [];
          for (const variables of scenario.variables) {
            sets.push(await captureStatements(server, scenario.authorized ? authorization : null, scenario.query, variables));
          }
          const capturedCounts = sets.map((s) => s.length);
          if (capturedCounts.some((n, i) => n !== sqlStatements[i])) {
            ctx.progress(
              `  note: ${scenario.key}: in-process capture saw ${range(capturedCounts)} statements, HTTP reported ${range(sqlStatements)}`,
            );
          }
          captured.set(scenario.key, sets);
        }
        prepared.push({
          scenario,
          spec: { url: server.url, headers, bodies, connections: options.connections, durationS: options.durationS },
          sqlStatements,
          responseBytes: Math.round(mean(probes.map((p) => p.bytes))),
        });
      }

      const measured = new Map<string, LoadResult>();
      for (const p of prepared) {
        if (measured.has(p.scenario.key)) continue;
        const partners = prepared.filter((q) => q.scenario.abWith === p.scenario.key);
        if (partners.length === 0) {
          ctx.progress(`  ${p.scenario.label}: ${options.warmupS}s warm-up + ${options.durationS}s, ${options.connections} connections…`);
          measured.set(p.scenario.key, await ctx.load.measure(p.spec, options.warmupS));
          continue;
        }
        // A/B/B/A halves (A/B/C/C/B/A with two partners): whatever else the machine is doing meanwhile hits all variants alike.
        const group = [p, ...partners];
        ctx.progress(
          `  ${group.map((x) => x.scenario.label).join(' / ')}: ${options.warmupS}s warm-up each + ${options.durationS}s each, interleaved…`,
        );
        if (options.warmupS > 0) for (const x of group) await ctx.load.run({ ...x.spec, durationS: options.warmupS });
        const parts = new Map<Prepared, LoadResult[]>(group.map((x) => [x, []]));
        for (const x of [...group, ...[...group].reverse()])
          parts.get(x)!.push(await ctx.load.run({ ...x.spec, durationS: options.durationS / 2 }));
        for (const [x, runs] of parts) measured.set(x.scenario.key, mergeLoadResults(runs));
      }
      for (const p of prepared) {
        results.push({
          scenario: p.scenario,
          sqlStatements: p.sqlStatements,
          responseBytes: p.responseBytes,
          http: measured.get(p.scenario.key)!,
          raw: null,
        });
      }
    } finally {
      await withEntities.close();
      await withDefaults.close();
      await app.close();
    }

    // The raw-driver loops run with the servers closed, so nothing else touches the database.
    const replayer = await openReplayer(ctx.database);
    try {
      for (const result of results) {
        const sets = captured.get(result.scenario.key);
        if (!sets) continue;
        ctx.progress(`  raw SQL of ${result.scenario.label}: ${options.rawDurationS}s…`);
        result.raw = await measureReplay(replayer, sets, options.rawDurationS);
      }
    } finally {
      await replayer.close();
    }
    return report(ctx, results);
  },
};

function report(ctx: BenchContext, results: ScenarioResult[]): SectionResult {
  const ref = results.find((r) => r.scenario.key === 'typename')!;
  const lines: string[] = [];
  const failed = results.filter((r) => Object.values(r.http.failures).some((n) => n > 0));

  lines.push(
    `HTTP (autocannon, ${ctx.options.connections} connections, ${ctx.options.durationS}s after ${ctx.options.warmupS}s warm-up); ratios are to { __typename } with the same token`,
  );
  lines.push(
    ...renderTable(
      [
        { header: 'operation', left: true },
        { header: 'SQL/req' },
        { header: 'req/s' },
        { header: 'p50 ms' },
        { header: 'p99 ms' },
        { header: 'req/s ÷ ref' },
        { header: 'p50 ÷ ref' },
        { header: 'p99 ÷ ref' },
      ],
      results.map((r) => [
        r.scenario.label + (failed.includes(r) ? ' (!)' : ''),
        range(r.sqlStatements),
        fmtRate(r.http.rps),
        fmtMs(r.http.latencyMs.p50),
        fmtMs(r.http.latencyMs.p99),
        fmtRatio(r.http.rps, ref.http.rps),
        fmtRatio(r.http.latencyMs.p50, ref.http.latencyMs.p50),
        fmtRatio(r.http.latencyMs.p99, ref.http.latencyMs.p99),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    `Raw SQL (the same statements through the driver, one request's set after another, ${ctx.options.rawDurationS}s); ratios are HTTP ÷ raw`,
  );
  lines.push(
    ...renderTable(
      [
        { header: 'operation', left: true },
        { header: 'SQL/req' },
        { header: 'sets/s' },
        { header: 'p50 ms' },
        { header: 'p99 ms' },
        { header: 'req/s ÷ raw' },
        { header: 'p50 ÷ raw' },
        { header: 'p99 ÷ raw' },
      ],
      results
        .filter((r) => r.raw)
        .map((r) => [
          r.scenario.label,
          range(r.sqlStatements),
          fmtRate(r.raw!.setsPerS),
          fmtMs(r.raw!.latencyMs.p50),
          fmtMs(r.raw!.latencyMs.p99),
          fmtRatio(r.http.rps, r.raw!.setsPerS),
          fmtRatio(r.http.latencyMs.p50, r.raw!.latencyMs.p50),
          fmtRatio(r.http.latencyMs.p99, r.raw!.latencyMs.p99),
        ]),
    ),
  );
  // The goals (#10): each read at ≥ 0.5 of its floor, and a token costing ≤ 20 %.
  const floors = results
    .filter((r) => r.raw && r.scenario.key !== 'typename')
    .map((r) => {
      const floor = 1 / (1 / ref.http.rps + 1 / r.raw!.setsPerS);
      return { key: r.scenario.key, label: r.scenario.label, rps: r.http.rps, floor, toFloor: r.http.rps / floor };
    });
  const anonymous = results.find((r) => r.scenario.key === 'typenameAnonymous');
  const authCost = anonymous ? ref.http.rps / anonymous.http.rps : null;
  lines.push('');
  lines.push('Against the floor: floor = 1 / (1/rps({ __typename } with the token) + 1/rate(the same SQL through the driver)); goal ≥ 0.5');
  lines.push(
    ...renderTable(
      [{ header: 'operation', left: true }, { header: 'req/s' }, { header: 'floor req/s' }, { header: 'toFloor' }],
      floors.map((f) => [f.label, fmtRate(f.rps), fmtRate(f.floor), f.toFloor.toFixed(2)]),
    ),
  );
  if (authCost !== null) lines.push(`authCost: { __typename } with a token ÷ without = ${authCost.toFixed(2)} (goal ≥ 0.8)`);
  const inbox = results.find((r) => r.scenario.key === 'inboxList');
  const defaults = results.find((r) => r.scenario.key === 'inboxListApolloDefaults');
  if (inbox && defaults) {
    lines.push('');
    lines.push(
      `Inbox list, measured A/B/B/A: Apollo's default plugins (cache control) ${fmtRate(defaults.http.rps)} req/s, p50 ${fmtMs(defaults.http.latencyMs.p50)} ms` +
        ` → disabled, as shipped: ${fmtRate(inbox.http.rps)} req/s, p50 ${fmtMs(inbox.http.latencyMs.p50)} ms (${fmtRatio(inbox.http.rps, defaults.http.rps)} the throughput)`,
    );
  }
  const entities = results.find((r) => r.scenario.key === 'inboxListEntities');
  if (inbox && entities) {
    lines.push(
      `Inbox list, measured interleaved: managed entities ${fmtRate(entities.http.rps)} req/s, p50 ${fmtMs(entities.http.latencyMs.p50)} ms` +
        ` → read models, as shipped: ${fmtRate(inbox.http.rps)} req/s, p50 ${fmtMs(inbox.http.latencyMs.p50)} ms (${fmtRatio(inbox.http.rps, entities.http.rps)} the throughput)`,
    );
  }
  const view = results.find((r) => r.scenario.key === 'conversationView');
  const viewEntities = results.find((r) => r.scenario.key === 'conversationViewEntities');
  if (view && viewEntities) {
    lines.push(
      `Conversation view, measured A/B/B/A: managed entities ${fmtRate(viewEntities.http.rps)} req/s, p50 ${fmtMs(viewEntities.http.latencyMs.p50)} ms` +
        ` → read models, as shipped: ${fmtRate(view.http.rps)} req/s, p50 ${fmtMs(view.http.latencyMs.p50)} ms (${fmtRatio(view.http.rps, viewEntities.http.rps)} the throughput)`,
    );
  }
  const byId = results.find((r) => r.scenario.key === 'messageById');
  const byIdEntities = results.find((r) => r.scenario.key === 'messageByIdEntities');
  if (byId && byIdEntities) {
    lines.push(
      `message(id), measured A/B/B/A: managed entities ${fmtRate(byIdEntities.http.rps)} req/s, p50 ${fmtMs(byIdEntities.http.latencyMs.p50)} ms` +
        ` → read models, as shipped: ${fmtRate(byId.http.rps)} req/s, p50 ${fmtMs(byId.http.latencyMs.p50)} ms (${fmtRatio(byId.http.rps, byIdEntities.http.rps)} the throughput)`,
    );
  }
  for (const r of failed) {
    const f = r.http.failures;
    lines.push(
      `(!) ${r.scenario.label}: ${f.errors} transport errors, ${f.timeouts} timeouts, ${f.non2xx} non-2xx, ${f.graphqlErrors} responses with GraphQL errors`,
    );
  }

  const json = Object.fromEntries(
    results.map((r) => [
      r.scenario.key,
      {
        sqlStatements: round(mean(r.sqlStatements), 2),
        responseBytes: r.responseBytes,
        targets: r.scenario.variables.length,
        http: {
          rps: round(r.http.rps, 1),
          p50Ms: round(r.http.latencyMs.p50),
          p90Ms: round(r.http.latencyMs.p90),
          p99Ms: round(r.http.latencyMs.p99),
          meanMs: round(r.http.latencyMs.mean),
          requests: r.http.requests,
          failures: r.http.failures,
        },
        raw: r.raw && { setsPerS: round(r.raw.setsPerS, 1), p50Ms: round(r.raw.latencyMs.p50, 4), p99Ms: round(r.raw.latencyMs.p99, 4) },
        ratios: {
          rpsToTypename: round(r.http.rps / ref.http.rps, 4),
          p50ToTypename: round(r.http.latencyMs.p50 / ref.http.latencyMs.p50, 3),
          p99ToTypename: round(r.http.latencyMs.p99 / ref.http.latencyMs.p99, 3),
          ...(r.raw && {
            rpsToRaw: round(r.http.rps / r.raw.setsPerS, 4),
            p50ToRaw: round(r.http.latencyMs.p50 / r.raw.latencyMs.p50, 3),
            p99ToRaw: round(r.http.latencyMs.p99 / r.raw.latencyMs.p99, 3),
          }),
        },
      },
    ]),
  );
  return {
    lines,
    json: {
      ...json,
      toFloor: Object.fromEntries(floors.map((f) => [f.key, round(f.toFloor, 3)])),
      ...(authCost !== null && { authCost: round(authCost, 3) }),
    },
  };
}
