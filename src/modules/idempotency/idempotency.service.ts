import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { AppError, ErrorCode } from '../../lib/errors';
import { IdempotencyRecord } from './idempotency-record.entity';

/**
 * Idempotency keys for any mutation that creates something (sends, uploads…). A record per
 * tenant + operation + key holds the SHA-256 of the canonical request and the id of the result,
 * and is written in the same transaction as that result, so it exists exactly when the result
 * does. The unique index on (tenant, operation, key) is what makes parallel duplicates safe:
 * the loser's transaction fails on it and, retried, finds the winner's record.
 *
 * Typical use, inside the transaction that creates the result:
 * ```ts
 * const existing = await findIdempotentResult(tx, ref, hash);   // replay, or IDEMPOTENCY_CONFLICT
 * if (existing) return replay(existing);
 * const id = newId('message');
 * await rememberIdempotentResult(tx, ref, hash, id);           // reserve the key first…
 * await tx.flush();                                            // …so a concurrent duplicate waits here
 * ```
 * and wrap the transaction in {@link retryOnUniqueViolation}.
 */

/**
 * The longest idempotency key accepted, in characters, by every operation that takes one
 * (sendMessage, uploadMedia); longer keys are BAD_USER_INPUT. Keys are stored and indexed, so
 * they are bounded like any other stored string.
 */
export const MAX_IDEMPOTENCY_KEY = 255;

/** How long a key is remembered; clients may retry for at least this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Which key of which operation of which tenant. */
export interface IdempotencyKeyRef {
  tenantId: string;
  /** e.g. `sendMessage`, `uploadMedia`. */
  operation: string;
  key: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      // An absent optional field and an explicit null mean the same request.
      if (v !== undefined && v !== null) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/**
 * Stable JSON of a request: object keys sorted at every level, null and undefined members dropped
 * (absent and null optional fields are the same request), array order kept.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

/** SHA-256 (hex) of {@link canonicalJson}: what "the same payload" means. */
export function requestHash(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

/**
 * The result id remembered for `ref`, or null when the key is unused (or its record expired).
 * @throws IDEMPOTENCY_CONFLICT when the key was used for a different request.
 */
export async function findIdempotentResult(
  em: EntityManager,
  ref: IdempotencyKeyRef,
  hash: string,
  now: Date = new Date(),
): Promise<string | null> {
  const record = await em.findOne(IdempotencyRecord, { tenantId: ref.tenantId, operation: ref.operation, key: ref.key });
  if (!record || record.expiresAt.getTime() <= now.getTime()) return null;
  if (record.requestHash !== hash) {
    throw new AppError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      `The idempotency key "${ref.key}" was already used for a different ${ref.operation} request; use a new key for a new request.`,
      { idempotencyKey: ref.key },
    );
  }
  return record.resultId;
}

/**
 * Records `resultId` for `ref` in the caller's transaction (flushed with it). An expired record of
 * the same key is deleted first so the key can be reused. A concurrent request holding the same
 * key makes the flush fail with a unique violation (see {@link retryOnUniqueViolation}).
 */
export async function rememberIdempotentResult(
  em: EntityManager,
  ref: IdempotencyKeyRef,
  hash: string,
  resultId: string,
  opts: { now?: Date; ttlMs?: number } = {},
): Promise<IdempotencyRecord> {
  const now = opts.now ?? new Date();
  await em.nativeDelete(IdempotencyRecord, { tenantId: ref.tenantId, operation: ref.operation, key: ref.key, expiresAt: { $lte: now } });
  return em.create(IdempotencyRecord, {
    tenantId: ref.tenantId,
    operation: ref.operation,
    key: ref.key,
    requestHash: hash,
    resultId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + (opts.ttlMs ?? IDEMPOTENCY_TTL_MS)),
  });
}

/**
 * Deletes every idempotency record that expired at or before `now` (they answer nothing any more:
 * {@link findIdempotentResult} treats them as absent); returns how many. Run by the retention job.
 */
export function pruneExpiredIdempotencyRecords(em: EntityManager, now: Date = new Date()): Promise<number> {
  return em.nativeDelete(IdempotencyRecord, { expiresAt: { $lte: now } });
}

/** Whether an error is a unique-index violation (SQLite and PostgreSQL alike). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException;
}

/**
 * Runs a transaction, and runs it again (up to `attempts` in all) when it failed on a unique
 * index: a concurrent writer got there first and has committed, so the retry reads what it wrote
 * (the idempotency record, a contact identity…) instead of writing again. `run` must start a
 * fresh transaction on a fresh EntityManager fork each time.
 */
export async function retryOnUniqueViolation<T>(run: () => Promise<T>, attempts = 2): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isUniqueViolation(err)) throw err;
    }
  }
}
