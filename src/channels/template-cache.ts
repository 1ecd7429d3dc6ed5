import type { AdapterInbox, TemplateListResult } from './channel-adapter';

/** How long a provider's template list is reused: composers ask often, templates change rarely. */
export const TEMPLATE_CACHE_TTL_MS = 60_000;

/**
 * One server's cache of providers' template lists, per inbox and its settings (a changed WABA id
 * or base URL is another entry). Lists that could not be fetched are not kept, so the next ask
 * tries again; concurrent asks for the same inbox share one provider call.
 */
export class TemplateCache {
  private readonly entries = new Map<string, { at: number; result: Promise<TemplateListResult> }>();

  constructor(
    private readonly ttlMs = TEMPLATE_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached list of `inbox`, or `load()`'s (kept for the TTL when it succeeded). */
  get(inbox: Pick<AdapterInbox, 'id' | 'providerConfig'>, load: () => Promise<TemplateListResult>): Promise<TemplateListResult> {
    const key = `${inbox.id}\n${JSON.stringify(inbox.providerConfig)}`;
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.result;
    this.prune();
    const result = load().then(
      (r) => {
        if (!r.ok) this.entries.delete(key);
        return r;
      },
      (err: unknown) => {
        this.entries.delete(key);
        throw err;
      },
    );
    this.entries.set(key, { at: this.now(), result });
    return result;
  }

  /** Drops expired entries, so inboxes no longer asked about do not stay in memory. */
  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
  }
}
