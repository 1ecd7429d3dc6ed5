import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { buffer as readAll } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import type { ChannelAdapter, MessageReceivedEvent, NormalisedInboundEvent, SendContext } from '../../src/channels/channel-adapter';
import { ContentKind } from '../../src/modules/message/content-kind';
import type { StoredContent } from '../../src/modules/message/message-content';

/** A webhook request as the provider would make it: body and headers, signed the provider's way. */
export interface SignedWebhook {
  body: Buffer;
  headers: IncomingHttpHeaders;
}

/** What the fake provider can be told to answer to the next send. */
export type ContractSendOutcome = 'ok' | 'temporary' | 'rejected' | 'rate_limited';

/**
 * One adapter, built for a fresh inbox and pointed at a local fake server that speaks the
 * provider's documented wire format (request shapes, auth, webhook bodies and signatures).
 */
export interface ContractRig {
  adapter: ChannelAdapter;
  /** A customer address in the form the adapter sends to (the conversation's external id). */
  customer: string;
  /** How the fake answers the next send request (then back to `ok`). */
  nextSend(outcome: ContractSendOutcome): void;
  /** Send requests the fake accepted or refused, in order, reduced to who they were for and the text they carried. */
  sendRequests(): Array<{ to: string; text: string | null }>;
  /** Webhooks the provider would post (signed); a member is absent when the channel has no such thing. */
  webhooks: {
    inboundText(text: string): SignedWebhook;
    /** A customer file; the fake serves `mediaBytes` for it wherever `fetchMedia` looks. */
    inboundMedia(): SignedWebhook;
    reaction?(channelMessageId: string, emoji: string): SignedWebhook;
    /** A delivery status for a message the adapter sent. */
    status?(channelMessageId: string, status: 'delivered' | 'read'): SignedWebhook;
  };
  /** The bytes of the file `inboundMedia` names (a small PNG or JPEG). */
  mediaBytes: Buffer;
  /**
   * False when the provider authenticates webhooks with a shared secret header and signs no body
   * (Telegram's X-Telegram-Bot-Api-Secret-Token): a tampered body cannot be told apart, so the
   * suite checks a tampered secret instead. Default true.
   */
  signsBody?: boolean;
  close(): Promise<void>;
}

/** A provider's entry in the contract suite. */
export interface ContractHarness {
  provider: string;
  setup(): Promise<ContractRig>;
}

const text = (body: string): StoredContent => ({ kind: ContentKind.TEXT, body });

function ctx(to: string, id: string): SendContext {
  return { to, idempotencyKey: id, attempt: 1, signal: AbortSignal.timeout(5_000) };
}

/** Flips one byte in the middle of a body: the signature must no longer match. */
function tamper(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  const i = Math.floor(copy.length / 2);
  copy[i] = copy[i] === 0x41 ? 0x42 : 0x41;
  return copy;
}

function only<T extends NormalisedInboundEvent['type']>(
  events: NormalisedInboundEvent[],
  type: T,
): Extract<NormalisedInboundEvent, { type: T }> {
  const matching = events.filter((e) => e.type === type);
  assert.equal(matching.length, 1, `expected one ${type} event, got ${JSON.stringify(events.map((e) => e.type))}`);
  return matching[0] as Extract<NormalisedInboundEvent, { type: T }>;
}

/**
 * The adapter contract: every provider adapter passes the same cases against its fake provider.
 * Each case builds its own rig so the cases do not depend on each other.
 */
export function adapterContract(harness: ContractHarness): void {
  describe(`adapter contract: ${harness.provider}`, () => {
    const withRig = (name: string, fn: (rig: ContractRig) => Promise<void> | void) =>
      test(name, async () => {
        const rig = await harness.setup();
        try {
          await fn(rig);
        } finally {
          await rig.close();
        }
      });

    withRig('a send the provider accepts returns its message id', async (rig) => {
      const result = await rig.adapter.send(
        { id: 'msg_contract_ok', content: text('Hello from the contract') },
        ctx(rig.customer, 'msg_contract_ok'),
      );
      assert.ok(result.ok, JSON.stringify(result));
      assert.ok(result.channelMessageId.length > 0);
      const sent = rig.sendRequests();
      assert.equal(sent.length, 1);
      assert.equal(sent[0].text, 'Hello from the contract');
    });

    withRig('a temporary refusal is temporary (retried), a permanent one is not', async (rig) => {
      rig.nextSend('temporary');
      const temporary = await rig.adapter.send(
        { id: 'msg_contract_tmp', content: text('try again') },
        ctx(rig.customer, 'msg_contract_tmp'),
      );
      assert.ok(!temporary.ok);
      assert.equal(temporary.failure.kind, 'temporary');
      rig.nextSend('rejected');
      const rejected = await rig.adapter.send({ id: 'msg_contract_rej', content: text('never') }, ctx(rig.customer, 'msg_contract_rej'));
      assert.ok(!rejected.ok);
      assert.notEqual(rejected.failure.kind, 'temporary', JSON.stringify(rejected.failure));
      assert.ok(rejected.failure.code.length > 0 && rejected.failure.reason.length > 0);
    });

    withRig('a rate-limit answer is temporary and slows the whole sender', async (rig) => {
      rig.nextSend('rate_limited');
      const limited = await rig.adapter.send({ id: 'msg_contract_rl', content: text('slow down') }, ctx(rig.customer, 'msg_contract_rl'));
      assert.ok(!limited.ok);
      assert.equal(limited.failure.kind, 'temporary');
      assert.equal(limited.failure.rateLimited, true, JSON.stringify(limited.failure));
    });

    withRig('webhook signatures: the provider-signed body passes, a tampered or unsigned one does not', (rig) => {
      const hook = rig.webhooks.inboundText('signed');
      assert.equal(rig.adapter.verifySignature(hook.body, hook.headers), true);
      if (rig.signsBody === false) {
        const forged = Object.fromEntries(Object.entries(hook.headers).map(([k, v]) => [k, typeof v === 'string' ? `${v}x` : v]));
        assert.equal(rig.adapter.verifySignature(hook.body, forged), false, 'a wrong secret header is refused');
      } else {
        assert.equal(rig.adapter.verifySignature(tamper(hook.body), hook.headers), false);
      }
      assert.equal(rig.adapter.verifySignature(hook.body, {}), false);
    });

    withRig('an inbound text becomes one customer message with its sender', async (rig) => {
      const hook = rig.webhooks.inboundText('Hi there');
      const event = only(await rig.adapter.parseWebhook(hook.body, hook.headers), 'message_received');
      assert.deepEqual(event.content, { kind: ContentKind.TEXT, body: 'Hi there' });
      assert.ok(event.from.length > 0 && event.channelMessageId.length > 0 && event.providerEventId.length > 0);
    });

    withRig('an inbound file names its media, and fetchMedia returns its bytes', async (rig) => {
      const hook = rig.webhooks.inboundMedia();
      const event: MessageReceivedEvent = only(await rig.adapter.parseWebhook(hook.body, hook.headers), 'message_received');
      assert.equal(event.content.kind, ContentKind.MEDIA);
      assert.ok(event.media, 'the event names where the file is');
      const fetched = event.media.data
        ? { body: event.media.data }
        : await rig.adapter.fetchMedia!(event.media, AbortSignal.timeout(5_000));
      const bytes = Buffer.isBuffer(fetched.body) ? fetched.body : await readAll(fetched.body);
      assert.deepEqual(bytes, rig.mediaBytes);
    });

    withRig('a repeated webhook has the same provider event id (so it is applied once)', async (rig) => {
      const hook = rig.webhooks.inboundText('once');
      const first = await rig.adapter.parseWebhook(hook.body, hook.headers);
      const again = await rig.adapter.parseWebhook(hook.body, hook.headers);
      assert.deepEqual(
        again.map((e) => e.providerEventId),
        first.map((e) => e.providerEventId),
      );
      const other = await rig.adapter.parseWebhook(rig.webhooks.inboundText('twice').body, rig.webhooks.inboundText('twice').headers);
      assert.notEqual(other[0]?.providerEventId, first[0]?.providerEventId);
    });

    withRig('statuses: delivered and read arrive as distinct events, whatever their order', async (rig) => {
      const status = rig.webhooks.status;
      if (!status) {
        assert.equal(
          rig.adapter.capabilities.deliveryReceipts,
          false,
          'a provider without status webhooks must say deliveryReceipts: false',
        );
        return;
      }
      const sent = await rig.adapter.send({ id: 'msg_contract_st', content: text('status me') }, ctx(rig.customer, 'msg_contract_st'));
      assert.ok(sent.ok);
      const read = await rig.adapter.parseWebhook(
        status(sent.channelMessageId, 'read').body,
        status(sent.channelMessageId, 'read').headers,
      );
      const delivered = await rig.adapter.parseWebhook(
        status(sent.channelMessageId, 'delivered').body,
        status(sent.channelMessageId, 'delivered').headers,
      );
      const statuses = [...read, ...delivered].filter((e) => e.type === 'status_changed' || e.type === 'status_watermark');
      assert.equal(statuses.length, 2, JSON.stringify(statuses));
      assert.notEqual(statuses[0].providerEventId, statuses[1].providerEventId);
      assert.deepEqual(statuses.map((s) => (s as { status: string }).status).sort(), ['delivered', 'read']);
    });

    withRig('reactions: a customer reaction names the message and the emoji', async (rig) => {
      const reaction = rig.webhooks.reaction;
      if (!reaction) {
        assert.equal(rig.adapter.capabilities.reactions, false, 'a provider without reaction webhooks must say reactions: false');
        return;
      }
      // The customer reacts to a message of ours, by the id the provider gave it.
      const sent = await rig.adapter.send(
        { id: 'msg_contract_react', content: text('react to me') },
        ctx(rig.customer, 'msg_contract_react'),
      );
      assert.ok(sent.ok);
      const hook = reaction(sent.channelMessageId, '👍');
      const event = only(await rig.adapter.parseWebhook(hook.body, hook.headers), 'reaction_received');
      assert.equal(event.channelMessageId, sent.channelMessageId);
      assert.equal(event.emoji, '👍');
      assert.equal(event.removed, false);
    });
  });
}
