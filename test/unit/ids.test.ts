import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUlidGenerator, idKind, newId } from '../../src/lib/ids';

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The 48-bit time and 80-bit random parts of an id's ULID. */
function parts(id: string): { time: bigint; random: bigint } {
  const body = id.slice(id.indexOf('_') + 1);
  let n = 0n;
  for (const ch of body) n = n * 32n + BigInt(ENCODING.indexOf(ch));
  return { time: n >> 80n, random: n & ((1n << 80n) - 1n) };
}

test('ids made in a tight loop are strictly increasing, and a sibling id cannot be guessed from the previous one', () => {
  const ids = Array.from({ length: 10_000 }, () => newId('message'));
  const gaps: bigint[] = [];
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(idKind(ids[i]), 'message');
    const [a, b] = [parts(ids[i - 1]), parts(ids[i])];
    if (a.time === b.time) gaps.push(b.random - a.random);
  }
  // 10,000 ids take a few milliseconds at most: most neighbours share their millisecond.
  assert.ok(gaps.length > 1000, `${gaps.length} same-millisecond neighbours`);
  const distinct = new Set(gaps.map(String));
  assert.ok(distinct.size > gaps.length * 0.99, `${distinct.size} distinct gaps among ${gaps.length}`);
  assert.ok(gaps.filter((g) => g === 1n).length < 5, 'the next id is not "previous + 1"');
});

test('when the random part would overflow within a millisecond, the id moves to the next millisecond', () => {
  const max = Buffer.alloc(10, 0xff);
  let fill = max;
  const next = createUlidGenerator({ now: () => 1_000, random: (n) => fill.subarray(0, n) });
  const first = parts(`x_${next()}`);
  assert.equal(first.time, 1000n);
  assert.equal(first.random, (1n << 80n) - 1n, 'the largest random part');
  fill = Buffer.alloc(10, 0);
  const second = parts(`x_${next()}`);
  assert.equal(second.time, 1001n, 'borrowed the next millisecond');
  const third = parts(`x_${next()}`);
  assert.equal(third.time, 1001n, 'the clock has not caught up: still ahead of it, still ordered');
  assert.ok(third.random > second.random);
});

test('an id placed at a given instant carries that instant and a fresh random part', () => {
  const at = new Date('2024-04-01T10:00:00.000Z');
  const a = parts(newId('message', at));
  const b = parts(newId('message', at));
  assert.equal(a.time, BigInt(at.getTime()));
  assert.equal(b.time, BigInt(at.getTime()));
  assert.notEqual(a.random, b.random);
});
