import type { Database } from '../../src/db/orm';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import type { DemoWorkspace } from '../../src/seed/demo';
import { deferred, type SandboxCarrier } from './delivery';

/** A `beforeStart` for startTestServer: the demo WhatsApp inbox's sandbox answers without simulated latency. */
export async function instantWhatsApp(db: Database, demo: DemoWorkspace): Promise<void> {
  const em = db.em.fork();
  (await em.findOneOrFail(Inbox, demo.whatsapp.id)).providerConfig = { latencyMs: 0 };
  await em.flush();
}

/**
 * Holds the carrier's first answer until `release()`: from `accepted` on the provider has the
 * message while our worker still waits for its reply, as during a crash or a stop mid-send.
 * Callers release in their cleanup so a failing test does not leave the carrier waiting.
 */
export function holdFirstAnswer(carrier: SandboxCarrier): { accepted: Promise<void>; release: () => void } {
  const accepted = deferred();
  const release = deferred();
  carrier.afterAccept = async () => {
    carrier.afterAccept = null;
    accepted.resolve();
    await release.promise;
  };
  return { accepted: accepted.promise, release: () => release.resolve() };
}
