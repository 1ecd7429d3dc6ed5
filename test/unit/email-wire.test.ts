import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawMessageOf, replyHeaders, smtpReplyFailure, stripQuotedHistory } from '../../src/channels/email/email.wire';

test('SMTP replies: 4xx temporary (throttling ones rate-limit the sender), 535 auth, 55x rejected, unknown codes by class', () => {
  assert.deepEqual(
    [451, 421, 450, 452].map((c) => smtpReplyFailure(c, `${c} 4.3.0 Try again`).kind),
    ['temporary', 'temporary', 'temporary', 'temporary'],
  );
  assert.equal(smtpReplyFailure(451, '451 4.7.500 Server busy').rateLimited, true);
  assert.equal(smtpReplyFailure(421, '421 Too many connections from your IP').rateLimited, true);
  assert.equal(smtpReplyFailure(451, '451 4.3.0 Local error').rateLimited, undefined);
  assert.equal(smtpReplyFailure(450, '450 4.7.1 Greylisted').rateLimited, undefined, '450 is a mailbox answer, not throttling');
  assert.equal(smtpReplyFailure(535, '535 5.7.8 Bad credentials').kind, 'auth');
  assert.deepEqual(
    [550, 551, 553, 554].map((c) => smtpReplyFailure(c, `${c} no`).kind),
    ['rejected', 'rejected', 'rejected', 'rejected'],
  );
  assert.deepEqual([smtpReplyFailure(447, '447 ?').kind, smtpReplyFailure(557, '557 ?').kind], ['temporary', 'rejected']);
});

test('quoted history: Outlook header blocks, two-line Gmail attributions and > lines are trimmed; a plain "From:" line is kept', () => {
  assert.equal(stripQuotedHistory('Thanks!\r\n\r\nFrom: Shop <s@shop.example>\r\nSent: Monday\r\nSubject: x\r\n\r\nold'), 'Thanks!');
  assert.equal(
    stripQuotedHistory('Yes please\n\nOn Thu, Dec 3, 2026 at 4:12 PM Shop Support <support@shop.example>\nwrote:\n> old'),
    'Yes please',
  );
  assert.equal(stripQuotedHistory('See below\n-----Original Message-----\nold'), 'See below');
  assert.equal(stripQuotedHistory('From: my other address, sorry\nNew order please'), 'From: my other address, sorry\nNew order please');
  assert.equal(stripQuotedHistory('> quoted\nmine'), 'mine');
});

test('reply headers: the answered id ends References and is In-Reply-To; the chain is capped keeping the root', () => {
  assert.deepEqual(replyHeaders({ subject: 's', references: ['<a@x>', '<b@x>'] }, null), {
    inReplyTo: '<b@x>',
    references: ['<a@x>', '<b@x>'],
  });
  assert.deepEqual(replyHeaders({ subject: 's', references: ['<a@x>'] }, '<c@x>'), { inReplyTo: '<c@x>', references: ['<a@x>', '<c@x>'] });
  assert.deepEqual(replyHeaders(null, null), {});
  const long = Array.from({ length: 30 }, (_, i) => `<${i}@x>`);
  const capped = replyHeaders({ subject: null, references: long }, null).references!;
  assert.equal(capped.length, 20);
  assert.deepEqual([capped[0], capped.at(-1)], ['<0@x>', '<29@x>']);
});

test('SendGrid Inbound Parse raw form: the "email" field is the message; a form without it is a payload error', () => {
  const message = 'From: a@b.example\r\nSubject: hi\r\n\r\nbody';
  const form = Buffer.from(
    `--xYz\r\nContent-Disposition: form-data; name="to"\r\n\r\nsupport@shop.example\r\n--xYz\r\nContent-Disposition: form-data; name="email"\r\n\r\n${message}\r\n--xYz--\r\n`,
  );
  assert.equal(rawMessageOf(form, 'multipart/form-data; boundary=xYz').toString(), message);
  assert.equal(rawMessageOf(Buffer.from(message), 'message/rfc822').toString(), message);
  assert.throws(
    () =>
      rawMessageOf(
        Buffer.from('--xYz\r\nContent-Disposition: form-data; name="to"\r\n\r\nx\r\n--xYz--'),
        'multipart/form-data; boundary=xYz',
      ),
    /no "email" field/,
  );
});
