import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable, opaque identifiers: `msg_01HV8Z2G8Z3H5M9K2S6A1N0P4` — a type prefix and a
 * ULID (48-bit millisecond time + 80 random bits, Crockford base32). IDs made in the same process are
 * strictly increasing even within one millisecond, so "newer message" is "greater id".
 */
export const ID_PREFIXES = {
  tenant: 'tn',
  user: 'usr',
  token: 'tok',
  inbox: 'ibx',
  contact: 'con',
  identity: 'cid',
  conversation: 'cnv',
  session: 'ses',
  message: 'msg',
  media: 'mda',
  reaction: 'rxn',
  readMarker: 'rdm',
  event: 'evt',
  outbox: 'obx',
  webhook: 'whk',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;
export type IdPrefix = (typeof ID_PREFIXES)[IdKind];

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const RANDOM_BITS = 80n;
const RANDOM_LIMIT = 1n << RANDOM_BITS;
/** How far apart ids of one millisecond are: 1 + up to 40 random bits, so a sibling is not "previous + 1". */
const STEP_BYTES = 5;

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 9; i >= 0; i--) {
    const mod = ms % 32;
    out = ENCODING[mod] + out;
    ms = (ms - mod) / 32;
  }
  return out;
}

function encodeRandom(random: bigint): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = ENCODING[Number(random & 31n)] + out;
    random >>= 5n;
  }
  return out;
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** Where a ULID generator reads the time and its randomness (tests pass their own). */
export interface UlidSources {
  now(): number;
  random(bytes: number): Uint8Array;
}

/**
 * Cryptographically random bytes handed out from a pool refilled 4 KiB at a time: each byte is used
 * once, so ids are exactly as unguessable, but a webhook batch that makes thousands of ids costs a
 * few calls into the CSPRNG instead of one (and a Buffer) per id. Callers read the bytes at once.
 */
function pooledRandomBytes(poolSize = 4096): (bytes: number) => Uint8Array {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return (bytes) => {
    if (offset + bytes > pool.length) {
      pool = randomBytes(Math.max(poolSize, bytes));
      offset = 0;
    }
    offset += bytes;
    return pool.subarray(offset - bytes, offset);
  };
}

/**
 * A ULID generator, monotonic for its own ids (ULID monotonicity): within one millisecond each id
 * adds a random step to the previous random part, so ids stay ordered without being guessable from
 * their neighbours. When the 80-bit random part would overflow, the id moves to the next
 * millisecond (running ahead of the clock until it catches up), as ULID libraries do.
 * With `at` (seeding history, tests) the id is placed at that instant and is only ordered by time.
 */
export function createUlidGenerator(sources: UlidSources = { now: Date.now, random: pooledRandomBytes() }): (at?: number) => string {
  let lastTime = -1;
  let lastRandom = 0n;
  const fresh = () => toBigInt(sources.random(10));
  return (at) => {
    if (at !== undefined) return encodeTime(at) + encodeRandom(fresh());
    const now = sources.now();
    if (now > lastTime) {
      lastTime = now;
      lastRandom = fresh();
    } else {
      const next = lastRandom + 1n + toBigInt(sources.random(STEP_BYTES));
      if (next < RANDOM_LIMIT) {
        lastRandom = next;
      } else {
        lastTime += 1;
        lastRandom = fresh();
      }
    }
    return encodeTime(lastTime) + encodeRandom(lastRandom);
  };
}

/**
 * A new ULID. Without `at` it is monotonic for this process; with `at` (seeding history, tests) it is
 * placed at that instant and only ordered against other ids by time.
 */
export const ulid: (at?: number) => string = createUlidGenerator();

/** A new id of the given kind, e.g. `newId('message')` → `msg_01…`. */
export function newId(kind: IdKind, at?: Date): string {
  return `${ID_PREFIXES[kind]}_${ulid(at?.getTime())}`;
}

const KIND_BY_PREFIX = new Map<string, IdKind>((Object.entries(ID_PREFIXES) as [IdKind, string][]).map(([kind, prefix]) => [prefix, kind]));

/** The kind an id belongs to, or null when it is not one of ours (wrong prefix or malformed body). */
export function idKind(id: string): IdKind | null {
  const sep = id.indexOf('_');
  if (sep < 0) return null;
  const kind = KIND_BY_PREFIX.get(id.slice(0, sep));
  if (!kind || !ULID_RE.test(id.slice(sep + 1))) return null;
  return kind;
}

/** True when `id` is a well-formed id of `kind`. */
export function isIdOf(kind: IdKind, id: string): boolean {
  return idKind(id) === kind;
}
