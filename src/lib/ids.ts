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

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 9; i >= 0; i--) {
    const mod = ms % 32;
    out = ENCODING[mod] + out;
    ms = (ms - mod) / 32;
  }
  return out;
}

function freshRandom(): number[] {
  const bytes = randomBytes(16);
  return Array.from({ length: 16 }, (_, i) => bytes[i] & 31);
}

/** Increments the 80-bit random part so ids in the same millisecond stay ordered (ULID monotonicity). */
function increment(random: number[]): number[] {
  const next = random.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 31) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  throw new Error('ULID random part overflowed within one millisecond');
}

/**
 * A new ULID. Without `at` it is monotonic for this process; with `at` (seeding history, tests) it is
 * placed at that instant and only ordered against other ids by time.
 */
export function ulid(at?: number): string {
  if (at !== undefined) return encodeTime(at) + freshRandom().map((n) => ENCODING[n]).join('');
  let now = Date.now();
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
    now = lastTime;
  } else {
    lastTime = now;
    lastRandom = freshRandom();
  }
  return encodeTime(now) + lastRandom.map((n) => ENCODING[n]).join('');
}

/** A new id of the given kind, e.g. `newId('message')` → `msg_01…`. */
export function newId(kind: IdKind, at?: Date): string {
  return `${ID_PREFIXES[kind]}_${ulid(at?.getTime())}`;
}

const KIND_BY_PREFIX = new Map<string, IdKind>(
  (Object.entries(ID_PREFIXES) as [IdKind, string][]).map(([kind, prefix]) => [prefix, kind]),
);

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

/** The millisecond timestamp encoded in an id (used to place seeded history on a timeline). */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const ch of body) ms = ms * 32 + ENCODING.indexOf(ch);
  return ms;
}
