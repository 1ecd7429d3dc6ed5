import { randomUUID } from 'node:crypto';
import type { ApolloClient, ObservableQuery } from '@apollo/client';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import {
  ExampleConversationViewDocument,
  ExampleConversationsDocument,
  ExampleInboxEventsDocument,
  ExampleSendTextDocument,
  type ExampleConversationsQuery,
  type ExampleConversationsQueryVariables,
  type ExampleConversationViewQuery,
  type ExampleInboxEventsSubscription,
  type ExampleSendTextMutation,
} from './generated/graphql';

/** One page (or, after `loadMore`, every page so far) of the inbox list. */
export type ConversationPage = ExampleConversationsQuery['conversations'];
/** A row of the inbox list. */
export type ConversationRow = ConversationPage['edges'][number]['node'];
/** One event of the `inboxEvents` stream. */
export type InboxEvent = ExampleInboxEventsSubscription['inboxEvents'];
/** A conversation as the chat view shows it: its whole window and its newest messages. */
export type ConversationView = NonNullable<ExampleConversationViewQuery['conversation']>;
/** What `sendMessage` returned: the message (PENDING) and its conversation. */
export type SentMessage = ExampleSendTextMutation['sendMessage'];

/**
 * The inbox list as one watched query: `load()` gives the first page, `loadMore()` fetches the
 * next one with `after: endCursor` and returns every row so far, merged in the cache by
 * `relayStylePagination` (no hand-written `updateQuery`).
 */
export class ConversationList {
  private readonly query: ObservableQuery<ExampleConversationsQuery, ExampleConversationsQueryVariables>;
  // Kept open so the query stays active (watched) while pages are added to it.
  private readonly watching: Subscription;

  constructor(
    private readonly client: ApolloClient,
    private readonly pageSize: number,
  ) {
    this.query = client.watchQuery({ query: ExampleConversationsDocument, variables: { first: pageSize } });
    this.watching = this.query.subscribe(() => {});
  }

  /** The first page, once it has arrived. */
  async load(): Promise<ConversationPage> {
    const result = await firstValueFrom(this.query.pipe(filter((r) => r.dataState === 'complete' || r.error !== undefined)));
    if (result.error) throw result.error;
    return this.current();
  }

  /** Fetches the page after the last row shown; returns every row so far (unchanged at the end of the list). */
  async loadMore(): Promise<ConversationPage> {
    const { pageInfo } = this.current();
    if (!pageInfo.hasNextPage) return this.current();
    const result = await this.query.fetchMore({ variables: { after: pageInfo.endCursor } });
    if (result.error) throw result.error;
    return this.current();
  }

  /**
   * What the cache holds for the list now: every page fetched so far, merged by the field policy's
   * `read`. (The watched query emits the same list too, but a tick later than fetchMore resolves.)
   */
  current(): ConversationPage {
    const data = this.client.readQuery({ query: ExampleConversationsDocument, variables: { first: this.pageSize } });
    if (!data) throw new Error('The conversation list has not loaded yet.');
    return data.conversations;
  }

  /** Stops watching the list. */
  stop(): void {
    this.watching.unsubscribe();
  }
}

/** The chat view of one conversation with its `last` newest messages; null when it is gone or not yours to see. */
export async function openConversation(client: ApolloClient, id: string, last: number): Promise<ConversationView | null> {
  const result = await client.query({ query: ExampleConversationViewDocument, variables: { id, last } });
  if (result.error) throw result.error;
  return result.data?.conversation ?? null;
}

/**
 * Sends a text to a conversation. `clientMessageId` comes back on the message and as the
 * `causationId` of the events the send causes; the idempotency key makes a retried request (after
 * a timeout, say) return the same message instead of sending twice.
 */
export async function sendText(client: ApolloClient, conversationId: string, body: string): Promise<SentMessage> {
  const clientMessageId = randomUUID();
  const result = await client.mutate({
    mutation: ExampleSendTextDocument,
    variables: { conversationId, body, clientMessageId, idempotencyKey: clientMessageId },
  });
  if (!result.data) throw result.error ?? new Error('sendMessage returned no data');
  return result.data.sendMessage;
}

/**
 * The `inboxEvents` stream, buffered: `waitFor` resolves with the first event (received already
 * or later) that matches. `lastCursor` is what to pass as `after` when subscribing again, so a
 * reconnect misses nothing; a ResyncRequiredEvent means the cursor was too old: refetch what you show.
 */
export class InboxEventFeed {
  readonly events: InboxEvent[] = [];
  private readonly subscription: Subscription;
  private waiters: { match: (e: InboxEvent) => boolean; resolve: (e: InboxEvent) => void; reject: (err: unknown) => void }[] = [];
  private failure: unknown = null;

  constructor(client: ApolloClient, after: string | null = null) {
    this.subscription = client.subscribe({ query: ExampleInboxEventsDocument, variables: { after } }).subscribe({
      next: (result) => {
        if (result.error) return this.fail(result.error);
        const event = result.data?.inboxEvents;
        if (!event) return;
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => !(w.match(event) && (w.resolve(event), true)));
      },
      error: (err) => this.fail(err),
      complete: () => this.fail(new Error('The inboxEvents stream ended.')),
    });
  }

  /** The cursor of the last event received; null before the first. */
  get lastCursor(): string | null {
    return this.events.at(-1)?.cursor ?? null;
  }

  /** The first event that matches, or a rejection when the stream fails or `timeoutMs` passes. */
  waitFor(match: (e: InboxEvent) => boolean, timeoutMs = 10_000): Promise<InboxEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No matching event within ${timeoutMs} ms.`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => (clearTimeout(timer), resolve(e)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
    });
  }

  /** Unsubscribes (the server ends the stream). */
  stop(): void {
    this.subscription.unsubscribe();
  }

  private fail(err: unknown): void {
    this.failure = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }
}
