/**
 * A/B of the viewer's unread count, one statement each, through the same driver the server uses:
 * the old query (count inbound messages newer than the read marker: walks the conversation) against
 * the counters (conversation.inbound_count − read_marker.read_inbound_count), for a 20-message and a
 * 60,000-message conversation with one unread message each.
 *
 * Run: node -r @swc-node/register bench/unread-count.ts
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('libsql');
const db = new Database(':memory:');
db.exec(`create table message (id text primary key, conversation_id text, direction text, inbound_seq int);
create index m_conv_id on message(conversation_id, id);
create table read_marker (conversation_id text, user_id text, last_read_message_id text, read_inbound_count int, primary key (conversation_id, user_id));
create table conversation (id text primary key, inbound_count int);`);
function conv(id: string, n: number) {
  const ins = db.prepare('insert into message values (?,?,?,?)');
  let seq = 0;
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const inbound = i % 2 === 0;
      if (inbound) seq++;
      ins.run(`${id}_${String(i).padStart(8, '0')}`, id, inbound ? 'inbound' : 'outbound', inbound ? seq : null);
    }
  })();
  db.prepare('insert into conversation values (?,?)').run(id, seq);
  db.prepare('insert into read_marker values (?,?,?,?)').run(id, 'u1', `${id}_${String(n - 3).padStart(8, '0')}`, seq - 1);
}
conv('big', 60000);
conv('small', 20);
const oldQ =
  db.prepare(`select m.conversation_id, count(*) as unread from message m left join read_marker r on r.conversation_id = m.conversation_id and r.user_id = ?
  where m.conversation_id in (?) and m.direction = 'inbound' and (r.last_read_message_id is null or m.id > r.last_read_message_id) group by m.conversation_id`);
const newQ = db.prepare(`select conversation_id, read_inbound_count from read_marker where user_id = ? and conversation_id in (?)`);
const convQ = db.prepare('select inbound_count from conversation where id = ?');
function time(fn: () => unknown, n = 200) {
  for (let i = 0; i < 20; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
}
for (const c of ['small', 'big']) {
  const o = time(() => oldQ.all('u1', c));
  const nw = time(() => newQ.all('u1', c));
  const unreadOld = oldQ.get('u1', c).unread;
  const unreadNew = convQ.get(c).inbound_count - newQ.get('u1', c).read_inbound_count;
  console.log(`${c}: old ${o.toFixed(4)} ms, new ${nw.toFixed(4)} ms (unread ${unreadOld} = ${unreadNew})`);
}
