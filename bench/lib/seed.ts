import type { Knex } from '@mikro-orm/knex';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../../src/db/orm';
import { newId } from '../../src/lib/ids';
import { issueToken } from '../../src/modules/auth/token.service';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { ConversationStatus } from '../../src/modules/conversation/conversation-status';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { previewOf, type StoredContent } from '../../src/modules/message/message-content';
import { MessageDirection, SenderType } from '../../src/modules/message/sender-type';
import { UserRole } from '../../src/modules/user/user-role';
import { createRandom, type Random } from './random';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface SeedOptions {
  conversations: number;
  /** Average per conversation; the total is exactly `conversations × messagesPerConversation`. */
  messagesPerConversation: number;
  seed: number;
  now?: Date;
}

/** What the benchmark needs to know about the seeded workspace. */
export interface BenchWorkspace {
  tenantId: string;
  ownerId: string;
  /** Bearer token of the owner (all scopes, sees every inbox): the benchmark viewer. */
  token: string;
  /** Recently active conversations with at least 50 messages (or the longest recent ones): the conversation view's targets. */
  viewConversationIds: string[];
  /** Messages spread over the whole workspace: the `message(id)` targets. */
  messageIds: string[];
  counts: Record<'users' | 'inboxes' | 'contacts' | 'identities' | 'conversations' | 'messages' | 'reactions' | 'readMarkers', number>;
  seconds: number;
}

type Role = 'customer' | 'agent' | 'bot' | 'note' | 'template';
type Row = Record<string, unknown>;

const FIRST = [
  'Anna',
  'Bruno',
  'Chloé',
  'David',
  'Emma',
  'Farah',
  'George',
  'Hana',
  'Ivan',
  'Julia',
  'Kwame',
  'Lena',
  'Mateo',
  'Nora',
  'Omar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Victor',
  'Wen',
  'Yusuf',
  'Zoë',
];
const LAST = [
  'Kowalska',
  'Silva',
  'Martin',
  'Okafor',
  'Fischer',
  'Haddad',
  'Brown',
  'Sato',
  'Petrov',
  'Rossi',
  'Mensah',
  'Novak',
  'García',
  'Berg',
  'Nasser',
  'Iyer',
  'Dubois',
  'Costa',
  'Larsen',
  'Aziz',
];
const CUSTOMER_LINES = [
  'Hi! Is my order #{n} ready?',
  'Do you ship to {city}?',
  'The parcel arrived damaged.',
  'Can I change my delivery address?',
  'Do you have the blue one in size M?',
  'Hello?',
  'Thanks, that works for me.',
  'When will the refund arrive?',
  'Running 10 minutes late, sorry.',
  'Can you call me back after 5pm?',
  'Great, I will come by tomorrow.',
  'Is the store open on Sunday?',
];
const AGENT_LINES = [
  'Hi {name}, let me check that for you.',
  'Your order is ready for pickup at the Main St store.',
  'So sorry! Could you send a photo?',
  'Thank you, a replacement is on its way.',
  'Done — updated to the new address.',
  'We ship to {city} in 3–5 working days.',
  'The refund was issued today; it takes 2–3 days to show up.',
  'Sure, I have noted that down.',
];
const BOT_LINES = ['Thanks for your message! A teammate will answer shortly.', 'Our opening hours are 9:00–18:00, Monday to Saturday.'];
const NOTE_LINES = ['Customer prefers afternoon pickups.', 'VIP — handle with care.', 'Waiting on the warehouse.', 'Escalated to billing.'];
const CITIES = ['Lisbon', 'Lagos', 'Osaka', 'Berlin', 'São Paulo', 'Dubai', 'Toronto', 'Warsaw'];
const TEMPLATES = ['order_update', 'appointment_reminder', 'follow_up'];
const EMOJI = ['👍', '🙏', '❤️', '😂', '😢', '🎉'];

/**
 * Seeds one tenant with two inboxes, a few agents and `conversations` conversations holding exactly
 * `conversations × messagesPerConversation` messages, with multi-row INSERTs through knex in one
 * transaction per batch (the ORM's unit of work would take minutes for 200k entities).
 *
 * The data is shaped like a real inbox: activity skewed to the recent past, message counts from a
 * few to ~80 (15 % are long threads), customers/agents/bots/notes interleaved, outbound delivery
 * states with histories, reactions on ~8 % of messages, and read markers for the owner (the
 * benchmark viewer) and assignees that leave some conversations unread. About a third of WhatsApp
 * conversations end in templates sent more than 24 h after the customer last wrote, so the
 * customer-service window is a mix of open and closed even among the newest conversations.
 * The denormalised conversation columns are derived from the generated messages and then verified
 * against the message table with SQL.
 */
export async function seedBenchWorkspace(db: Database, options: SeedOptions): Promise<BenchWorkspace> {
  const started = Date.now();
  const rnd = createRandom(options.seed);
  const now = (options.now ?? new Date()).getTime();
  const em = db.orm.em.fork() as SqlEntityManager;
  const knex = em.getKnex();
  const counts: BenchWorkspace['counts'] = {
    users: 0,
    inboxes: 0,
    contacts: 0,
    identities: 0,
    conversations: 0,
    messages: 0,
    reactions: 0,
    readMarkers: 0,
  };

  // --- workspace: tenant, users, inboxes, memberships -------------------------------------------
  const tenantId = newId('tenant', new Date(now - 400 * DAY));
  const since = new Date(now - 400 * DAY);
  const user = (name: string, email: string, role: UserRole, bot = false) => ({
    id: newId('user', since),
    tenant_id: tenantId,
    name,
    email,
    role,
    bot,
    active: true,
    created_at: since,
  });
  const owner = user('Olivia Owner', 'olivia@bench.test', UserRole.OWNER);
  const admin = user('Adam Admin', 'adam@bench.test', UserRole.ADMIN);
  const agents = ['Alice', 'Bob', 'Carmen', 'Dmitri', 'Esi', 'Femi'].map((n) =>
    user(`${n} Agent`, `${n.toLowerCase()}@bench.test`, UserRole.AGENT),
  );
  const bot = user('Welcome Bot', 'bot@bench.test', UserRole.AGENT, true);
  const users = [owner, admin, ...agents, bot];
  const inbox = (name: string, channel: ChannelKind, senderAddress: string) => ({
    id: newId('inbox', since),
    tenant_id: tenantId,
    name,
    channel,
    provider: 'sandbox',
    sender_address: senderAddress,
    window_hours: null,
    human_agent_window_hours: null,
    provider_config: JSON.stringify({ latencyMs: 300, failureRate: 0 }),
    created_at: since,
  });
  const whatsapp = inbox('WhatsApp Support', ChannelKind.WHATSAPP, '+14155550100');
  const sms = inbox('SMS Notifications', ChannelKind.SMS, '+14155550199');
  // Four agents work WhatsApp, three SMS (one both); the bot answers on WhatsApp.
  const agentsOf = new Map([
    [whatsapp.id, agents.slice(0, 4)],
    [sms.id, agents.slice(3)],
  ]);
  const members = [
    ...[...agentsOf].flatMap(([inboxId, list]) =>
      list.map((a) => ({ tenant_id: tenantId, inbox_id: inboxId, user_id: a.id, created_at: since })),
    ),
    { tenant_id: tenantId, inbox_id: whatsapp.id, user_id: bot.id, created_at: since },
  ];
  await knex.transaction(async (trx) => {
    await insertMany(trx, 'tenant', [{ id: tenantId, name: 'Bench Co', event_seq: 0, created_at: since }]);
    await insertMany(trx, 'app_user', users);
    await insertMany(trx, 'inbox', [whatsapp, sms]);
    await insertMany(trx, 'inbox_member', members);
  });
  counts.users = users.length;
  counts.inboxes = 2;

  // --- conversations, in batches ----------------------------------------------------------------
  const messageCounts = distributeMessages(rnd, options.conversations, options.messagesPerConversation);
  const summaries: { id: string; lastActivityAt: number; messages: number }[] = [];
  const messageSample: string[] = [];
  const sampleEvery = Math.max(1, Math.floor((options.conversations * options.messagesPerConversation) / 120));
  const BATCH = 500;
  for (let start = 0; start < options.conversations; start += BATCH) {
    const rows = {
      contact: [] as Row[],
      contact_identity: [] as Row[],
      conversation: [] as Row[],
      conversation_session: [] as Row[],
      message: [] as Row[],
      reaction: [] as Row[],
      read_marker: [] as Row[],
    };
    for (let i = start; i < Math.min(start + BATCH, options.conversations); i++) {
      const box = i % 5 < 3 ? whatsapp : sms;
      const other = box === whatsapp ? sms : whatsapp;
      const n = messageCounts[i];
      // Activity is skewed towards now: ~3 % of conversations moved in the last day, the first page within hours.
      const lastAt = now - Math.floor(MINUTE + 90 * DAY * Math.pow(rnd.next(), 1.3));
      const roles = conversationRoles(rnd, n, box.channel);
      const tail = box === whatsapp && n >= 4 && rnd.next() < 0.35 ? 1 + rnd.int(2) : 0;
      for (let k = 0; k < tail; k++) roles[n - 1 - k] = 'template';
      const times = new Array<number>(n);
      times[n - 1] = lastAt;
      for (let j = n - 2; j >= 0; j--) {
        const gap =
          tail && j === n - 1 - tail
            ? 25 * HOUR + rnd.int(35 * HOUR) // the follow-up template comes after the window closed
            : rnd.next() < 0.12
              ? 2 * HOUR + rnd.int(3 * DAY)
              : 15 * SECOND + rnd.int(15 * MINUTE);
        times[j] = times[j + 1] - gap;
      }
      const createdAt = times[0] - MINUTE;
      const firstName = rnd.pick(FIRST);
      const name = `${firstName} ${rnd.pick(LAST)}`;
      const phone = `+1${2_000_000_000 + i}`;
      const contactId = newId('contact', new Date(createdAt));
      rows.contact.push({ id: contactId, tenant_id: tenantId, name, created_at: new Date(createdAt) });
      rows.contact_identity.push({
        id: newId('identity', new Date(createdAt)),
        tenant_id: tenantId,
        contact_id: contactId,
        channel: box.channel,
        address: phone,
      });
      if (rnd.next() < 0.25) {
        rows.contact_identity.push({
          id: newId('identity', new Date(createdAt)),
          tenant_id: tenantId,
          contact_id: contactId,
          channel: other.channel,
          address: phone,
        });
      }
      const boxAgents = agentsOf.get(box.id)!;
      const assignee = rnd.next() < 0.7 ? rnd.pick(boxAgents) : null;
      const closed = now - lastAt > 3 * DAY ? rnd.next() < 0.7 : rnd.next() < 0.05;
      const conversationId = newId('conversation', new Date(createdAt));
      const sessionId = newId('session', new Date(createdAt));
      rows.conversation_session.push({
        id: sessionId,
        tenant_id: tenantId,
        conversation_id: conversationId,
        inbox_id: box.id,
        opened_at: new Date(createdAt),
        closed_at: closed ? new Date(Math.min(now, lastAt + 5 * MINUTE)) : null,
      });

      let lastMessage: { id: string; at: number; content: StoredContent; sender: SenderType } | null = null;
      let lastInboundAt: number | null = null;
      const ids: string[] = [];
      const inboundAfter: number[] = new Array(n).fill(0); // inbound messages after index j
      const inboundUpTo: number[] = new Array(n).fill(0); // inbound messages up to and including index j
      let inboundCount = 0;
      for (let j = 0; j < n; j++) {
        const role = roles[j];
        const at = times[j];
        const id = newId('message', new Date(at));
        ids.push(id);
        const content = contentFor(rnd, role, box.channel, firstName);
        const customer = role === 'customer';
        const senderType = customer ? SenderType.CUSTOMER : role === 'bot' ? SenderType.BOT : SenderType.USER;
        const direction = customer ? MessageDirection.INBOUND : role === 'note' ? MessageDirection.INTERNAL : MessageDirection.OUTBOUND;
        const sender = customer ? null : role === 'bot' ? bot : (assignee ?? rnd.pick(boxAgents));
        const status = direction === MessageDirection.OUTBOUND ? outboundStatus(rnd, roles, j) : null;
        const history = status ? historyTo(status, at) : [];
        if (customer) inboundCount++;
        inboundUpTo[j] = inboundCount;
        rows.message.push({
          id,
          tenant_id: tenantId,
          conversation_id: conversationId,
          inbox_id: box.id,
          session_id: sessionId,
          direction,
          sender_type: senderType,
          sender_user_id: sender?.id ?? null,
          content_kind: content.kind,
          content: JSON.stringify(content),
          delivery_status: status,
          failure_code: status === DeliveryStatus.FAILED ? 'rejected' : null,
          failure_reason: status === DeliveryStatus.FAILED ? 'Recipient is not reachable on this channel (sandbox)' : null,
          channel_message_id: role === 'note' ? null : `${box === whatsapp ? 'wamid' : 'sms'}.${id.slice(4)}`,
          client_message_id: null,
          reply_to_id: null,
          inbound_seq: customer ? inboundCount : null,
          status_history: JSON.stringify(history),
          last_status_at: history.length ? new Date(history[history.length - 1].at) : null,
          created_at: new Date(at),
          updated_at: new Date(history.length ? history[history.length - 1].at : at),
        });
        if (content.kind !== ContentKind.NOTE) lastMessage = { id, at, content, sender: senderType };
        if (customer) lastInboundAt = at;
        if (role !== 'note' && rnd.next() < 0.08) {
          // The other side reacts: the customer to our messages, the assignee to theirs.
          const byCustomer = !customer;
          rows.reaction.push(
            reaction(
              tenantId,
              id,
              conversationId,
              byCustomer ? SenderType.CUSTOMER : SenderType.USER,
              byCustomer ? contactId : (assignee ?? owner).id,
              rnd.pick(EMOJI),
              Math.min(now, at + 30 * SECOND + rnd.int(10 * MINUTE)),
            ),
          );
          if (rnd.next() < 0.15) {
            rows.reaction.push(
              reaction(
                tenantId,
                id,
                conversationId,
                byCustomer ? SenderType.USER : SenderType.CUSTOMER,
                byCustomer ? (assignee ?? owner).id : contactId,
                rnd.pick(EMOJI),
                Math.min(now, at + 45 * SECOND),
              ),
            );
          }
        }
        if (counts.messages + rows.message.length - 1 === messageSample.length * sampleEvery) messageSample.push(id);
      }
      for (let j = n - 2; j >= 0; j--) inboundAfter[j] = inboundAfter[j + 1] + (roles[j + 1] === 'customer' ? 1 : 0);

      // Read markers: the owner has read most conversations fully, some up to a few messages back
      // (→ unread counts), and never opened the rest; assignees have read most of theirs.
      if (rnd.next() < 0.7) {
        const upTo = rnd.next() < 0.5 ? n - 1 : Math.max(0, n - 2 - rnd.int(5));
        rows.read_marker.push({
          id: newId('readMarker', new Date(times[upTo])),
          tenant_id: tenantId,
          conversation_id: conversationId,
          user_id: owner.id,
          last_read_message_id: ids[upTo],
          read_inbound_count: inboundUpTo[upTo],
          updated_at: new Date(times[upTo]),
        });
      }
      if (assignee && rnd.next() < 0.8) {
        const upTo = Math.max(0, n - 1 - rnd.int(3));
        rows.read_marker.push({
          id: newId('readMarker', new Date(times[upTo])),
          tenant_id: tenantId,
          conversation_id: conversationId,
          user_id: assignee.id,
          last_read_message_id: ids[upTo],
          read_inbound_count: inboundUpTo[upTo],
          updated_at: new Date(times[upTo]),
        });
      }

      rows.conversation.push({
        id: conversationId,
        tenant_id: tenantId,
        inbox_id: box.id,
        contact_id: contactId,
        channel: box.channel,
        external_id: phone,
        name,
        status: closed ? ConversationStatus.CLOSED : ConversationStatus.OPEN,
        assignee_id: assignee?.id ?? null,
        current_session_id: closed ? null : sessionId,
        created_at: new Date(createdAt),
        updated_at: new Date(lastAt),
        last_activity_at: new Date(lastAt),
        last_message_at: lastMessage ? new Date(lastMessage.at) : null,
        last_message_id: lastMessage?.id ?? null,
        last_message_preview: lastMessage ? previewOf(lastMessage.content) : null,
        last_message_sender: lastMessage?.sender ?? null,
        last_inbound_at: lastInboundAt === null ? null : new Date(lastInboundAt),
        inbound_count: inboundCount,
      });
      summaries.push({ id: conversationId, lastActivityAt: lastAt, messages: n });
    }
    await knex.transaction(async (trx) => {
      // Index inserts land all over the b-trees; SQLite's default 2 MB page cache makes that disk-bound.
      if (db.dialect === 'sqlite') await trx.raw('pragma cache_size = -262144');
      // Parents first: foreign keys are enforced.
      for (const table of [
        'contact',
        'contact_identity',
        'conversation',
        'conversation_session',
        'message',
        'reaction',
        'read_marker',
      ] as const) {
        await insertMany(trx, table, rows[table]);
      }
    });
    counts.contacts += rows.contact.length;
    counts.identities += rows.contact_identity.length;
    counts.conversations += rows.conversation.length;
    counts.messages += rows.message.length;
    counts.reactions += rows.reaction.length;
    counts.readMarkers += rows.read_marker.length;
  }

  if (db.dialect === 'postgresql') {
    // Autovacuum would analyze these tables within a minute of a bulk load; don't benchmark the planner without statistics.
    await knex.raw('analyze');
  }
  // Back to SQLite's default so the benchmark runs with the cache the server normally has.
  if (db.dialect === 'sqlite') await knex.raw('pragma cache_size = -2000');
  await verifyDenormalisedColumns(knex, counts.conversations);

  const recent = [...summaries].sort((a, b) => b.lastActivityAt - a.lastActivityAt).slice(0, 200);
  const long = recent.filter((c) => c.messages >= 50).slice(0, 10);
  const viewConversationIds = (long.length ? long : [...recent].sort((a, b) => b.messages - a.messages).slice(0, 10)).map((c) => c.id);
  const { token } = await issueToken(db.orm.em.fork(), { tenantId, userId: owner.id, name: 'benchmark' });
  return {
    tenantId,
    ownerId: owner.id,
    token,
    viewConversationIds,
    messageIds: messageSample.slice(0, 100),
    counts,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Multi-row `INSERT … VALUES (…), (…)` statements, sized to stay well below SQLite's and PostgreSQL's
 * bind-parameter limits. Written by hand because knex compiles SQLite batch inserts to
 * `INSERT … SELECT … UNION ALL SELECT …`, which SQLite caps at 500 rows and plans slowly.
 */
async function insertMany(trx: Knex.Transaction, table: string, rows: Row[]): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0]);
  const perStatement = Math.max(1, Math.floor(16_000 / columns.length));
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const sql = `insert into ${table} (${columns.join(', ')}) values ${chunk.map(() => tuple).join(', ')}`;
    await trx.raw(
      sql,
      chunk.flatMap((row) => columns.map((c) => row[c] as Knex.Value)),
    );
  }
}

/**
 * Message counts per conversation: 15 % long threads of 2.5–4× the average, the rest short, then
 * nudged one message at a time so the total is exactly `conversations × average`.
 */
function distributeMessages(rnd: Random, conversations: number, average: number): number[] {
  const longLo = Math.ceil(2.5 * average);
  const longHi = 4 * average;
  const shortLo = Math.max(2, Math.floor(average / 5));
  const shortHi = Math.max(shortLo, Math.round(2 * ((average - 0.15 * 3.25 * average) / 0.85) - shortLo));
  const counts = Array.from({ length: conversations }, () =>
    rnd.next() < 0.15 ? longLo + rnd.int(longHi - longLo + 1) : shortLo + rnd.int(shortHi - shortLo + 1),
  );
  let diff = conversations * average - counts.reduce((a, b) => a + b, 0);
  while (diff !== 0) {
    const i = rnd.int(conversations);
    const step = Math.sign(diff);
    const next = counts[i] + step;
    if (next < 2 || next > longHi) continue;
    counts[i] = next;
    diff -= step;
  }
  return counts;
}

/** Who writes each message, oldest first: mostly customer/agent turns, with bots, notes and business-initiated starts. */
function conversationRoles(rnd: Random, n: number, channel: ChannelKind): Role[] {
  const botAllowed = channel === ChannelKind.WHATSAPP;
  const roles: Role[] = [channel === ChannelKind.WHATSAPP && rnd.next() < 0.15 ? 'template' : rnd.next() < 0.85 ? 'customer' : 'agent'];
  for (let j = 1; j < n; j++) {
    const r = rnd.next();
    const role: Role =
      roles[j - 1] === 'customer'
        ? r < 0.55
          ? 'agent'
          : r < 0.8
            ? 'customer'
            : r < 0.9
              ? 'bot'
              : 'note'
        : r < 0.6
          ? 'customer'
          : r < 0.85
            ? 'agent'
            : r < 0.95
              ? 'note'
              : 'bot';
    roles.push(role === 'bot' && !botAllowed ? 'agent' : role);
  }
  return roles;
}

function contentFor(rnd: Random, role: Role, channel: ChannelKind, firstName: string): StoredContent {
  const fill = (s: string) =>
    s
      .replace('{n}', String(1000 + rnd.int(9000)))
      .replace('{city}', rnd.pick(CITIES))
      .replace('{name}', firstName);
  switch (role) {
    case 'customer':
      return rnd.next() < 0.1
        ? {
            kind: ContentKind.MEDIA,
            mediaKind: MediaKind.IMAGE,
            url: `https://cdn.example.test/u/${rnd.int(1e9)}.jpg`,
            mimeType: 'image/jpeg',
            caption: rnd.next() < 0.5 ? 'Here it is' : null,
          }
        : { kind: ContentKind.TEXT, body: fill(rnd.pick(CUSTOMER_LINES)) };
    case 'agent':
      return rnd.next() < 0.05
        ? {
            kind: ContentKind.MEDIA,
            mediaKind: MediaKind.DOCUMENT,
            url: `https://cdn.example.test/d/${rnd.int(1e9)}.pdf`,
            mimeType: 'application/pdf',
            filename: 'invoice.pdf',
            caption: null,
          }
        : { kind: ContentKind.TEXT, body: fill(rnd.pick(AGENT_LINES)), ...(channel === ChannelKind.SMS ? { smsSegments: 1 } : {}) };
    case 'bot':
      return { kind: ContentKind.TEXT, body: rnd.pick(BOT_LINES) };
    case 'note':
      return { kind: ContentKind.NOTE, body: rnd.pick(NOTE_LINES) };
    case 'template':
      return {
        kind: ContentKind.TEMPLATE,
        name: rnd.pick(TEMPLATES),
        language: 'en',
        components: [{ type: 'body', parameters: [{ type: 'text', text: firstName }] }],
      };
  }
}

/** Older outbound messages the customer answered were read; the newest are still on their way; a few failed. */
function outboundStatus(rnd: Random, roles: Role[], j: number): DeliveryStatus {
  if (rnd.next() < 0.03) return DeliveryStatus.FAILED;
  const answered = roles.slice(j + 1).includes('customer');
  if (answered) return rnd.next() < 0.9 ? DeliveryStatus.READ : DeliveryStatus.DELIVERED;
  const r = rnd.next();
  return r < 0.3 ? DeliveryStatus.SENT : r < 0.8 ? DeliveryStatus.DELIVERED : DeliveryStatus.READ;
}

/** A delivery history ending in `status`, a few seconds apart (as src/seed/demo.ts builds it). */
function historyTo(
  status: DeliveryStatus,
  start: number,
): { status: DeliveryStatus; at: string; failureCode?: string; failureReason?: string }[] {
  const path =
    status === DeliveryStatus.FAILED
      ? [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
      : [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ].slice(
          0,
          [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ].indexOf(status) + 1,
        );
  return path.map((s, i) => ({
    status: s,
    at: new Date(start + i * 3000).toISOString(),
    ...(s === DeliveryStatus.FAILED
      ? { failureCode: 'rejected', failureReason: 'Recipient is not reachable on this channel (sandbox)' }
      : {}),
  }));
}

function reaction(
  tenantId: string,
  messageId: string,
  conversationId: string,
  actorType: SenderType,
  actorId: string,
  emoji: string,
  at: number,
): Row {
  return {
    id: newId('reaction', new Date(at)),
    tenant_id: tenantId,
    message_id: messageId,
    conversation_id: conversationId,
    actor_type: actorType,
    actor_id: actorId,
    emoji,
    created_at: new Date(at),
  };
}

/**
 * The inbox list trusts the denormalised columns; a seed that got them wrong would benchmark a
 * different product. Checks every conversation against its messages and throws on any mismatch.
 */
async function verifyDenormalisedColumns(knex: Knex, expected: number): Promise<void> {
  const result = await knex.raw(`
    select count(*) as ok
    from conversation c
    join (
      select conversation_id,
        max(created_at) as last_at,
        max(case when content_kind <> 'note' then id end) as last_id,
        max(case when direction = 'inbound' then created_at end) as last_inbound
      from message group by conversation_id
    ) a on a.conversation_id = c.id
    join message m on m.id = c.last_message_id
    where c.last_activity_at = a.last_at
      and c.last_message_id = a.last_id
      and c.last_message_at = m.created_at
      and c.last_message_sender = m.sender_type
      and (c.last_inbound_at = a.last_inbound or (c.last_inbound_at is null and a.last_inbound is null))`);
  const rows: { ok: number | string }[] = Array.isArray(result) ? result : result.rows;
  const ok = Number(rows[0].ok);
  if (ok !== expected) throw new Error(`Seed check failed: ${expected - ok} of ${expected} conversations have wrong last-message columns`);
}
