/**
 * The example client end to end: lists conversations, pages once, subscribes to inboxEvents, sends
 * a message and prints the event the send caused.
 *
 *   SWITCHBOARD_URL=http://127.0.0.1:4000/graphql SWITCHBOARD_TOKEN=sb_… \
 *     node -r @swc-node/register examples/apollo-client/main.ts
 */
import WebSocket from 'ws';
import { createSwitchboardClient } from './client';
import { ConversationList, InboxEventFeed, openConversation, sendText, type ConversationRow, type InboxEvent } from './inbox';

/** What the run printed and found, for callers (the test) that run it in-process. */
export interface ExampleRun {
  firstPage: ConversationRow[];
  afterMore: ConversationRow[];
  sentMessageId: string;
  event: InboxEvent;
}

/** Runs the example against `url` with `token`, printing each step through `print`. */
export async function runExample(
  url: string,
  token: string,
  print: (line: string) => void = console.log,
  hooks: { subscribed?: () => Promise<void> } = {},
): Promise<ExampleRun> {
  let connected!: () => void;
  const wsReady = new Promise<void>((resolve) => (connected = resolve));
  // Node 20 has no global WebSocket; browsers (and Node ≥ 22) can leave webSocketImpl out.
  const sb = createSwitchboardClient({ url, token, webSocketImpl: WebSocket, onConnected: () => connected() });
  const list = new ConversationList(sb.client, 3);
  let feed: InboxEventFeed | null = null;
  try {
    const firstPage = (await list.load()).edges.map((e) => e.node);
    print(`First page: ${firstPage.map(label).join(', ')}`);
    const afterMore = (await list.loadMore()).edges.map((e) => e.node);
    print(`After one more page: ${afterMore.length} conversations (${afterMore.slice(firstPage.length).map(label).join(', ')} added)`);

    const target = afterMore.find((c) => c.window.canSend);
    if (!target) throw new Error('No conversation on these pages can take a free-form reply now.');
    const view = await openConversation(sb.client, target.id, 3);
    if (!view) throw new Error(`${target.id} is gone.`);
    const { window } = view;
    print(
      `${label(view)}: ${window.reason}, free-form until ${window.expiresAt ?? 'any time'}; ${view.messages?.edges.length ?? 0} recent messages`,
    );

    feed = new InboxEventFeed(sb.client);
    await wsReady;
    await hooks.subscribed?.();
    const sent = await sendText(sb.client, target.id, 'Hello from the Apollo Client example');
    print(`Sent ${sent.message.id} to ${label(target)}: ${sent.message.deliveryStatus}`);
    const event = await feed.waitFor((e) => e.__typename === 'MessageAddedEvent' && e.causationId === sent.message.clientMessageId);
    print(`Event ${event.type} ${event.id} at ${event.occurredAt} (cursor ${event.cursor})`);
    return { firstPage, afterMore, sentMessageId: sent.message.id, event };
  } finally {
    feed?.stop();
    list.stop();
    await sb.dispose();
  }
}

function label(c: ConversationRow): string {
  return c.name ?? c.externalId;
}

if (require.main === module) {
  const url = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000/graphql';
  const token = process.env.SWITCHBOARD_TOKEN;
  if (!token) {
    console.error('Set SWITCHBOARD_TOKEN (the demo token `npm start` prints, or one from `npm run token`).');
    process.exit(2);
  }
  runExample(url, token).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
