import { AdapterRegistry } from '../../channels/adapter-registry';
import { SandboxCarrier } from '../../channels/sandbox/sandbox.carrier';
import { DbSandboxStore, sandboxCallbackTargets } from '../../channels/sandbox/sandbox.store';
import { TemplateCache } from '../../channels/template-cache';
import type { Config } from '../../config';
import { loadSecretKeyring } from '../../lib/secret-key-file';
import type { Database } from '../../db/orm';
import type { PubSub } from '../../pubsub/pubsub';
import type { Logger } from '../../observability/logger';
import type { MediaStorage } from '../../storage/media-storage';
import { adapterMediaFor } from '../media/adapter-media';
import { OutboxDeliveryQueue } from './delivery-queue';
import { ReactionDelivery } from '../reaction/reaction-delivery';
import { DeliveryWorker } from './delivery.worker';

/** Everything outbound delivery needs for one server's lifetime. */
export interface DeliveryRuntime {
  channels: AdapterRegistry;
  worker: DeliveryWorker;
  sandbox: SandboxCarrier;
  /** Teammates' reactions on their way to providers (runs with the worker). */
  reactions: ReactionDelivery;
  /** Once the server listens: webhook URLs can be built from its origin, and the worker starts (unless `runWorker` is off). */
  start(origin: string): void;
  /** Stops the worker (and the sandbox, unless it was handed in to outlive this server). */
  stop(): Promise<void>;
}

/**
 * Builds the adapter registry, the delivery worker and its queue. A given `sandbox` is shared,
 * not owned (a test passes one to survive a server restart, as a real provider would).
 */
export function createDeliveryRuntime(
  config: Config,
  db: Database,
  pubsub: PubSub,
  opts: { sandbox?: SandboxCarrier; logger?: Logger; mediaStorage?: MediaStorage } = {},
): DeliveryRuntime {
  const sandbox = opts.sandbox ?? new SandboxCarrier();
  let origin = '';
  const publicOrigin = () => config.delivery.publicUrl ?? origin;
  const webhookUrl = (inboxId: string) => `${publicOrigin()}/webhooks/${inboxId}`;
  const mediaStorage = opts.mediaStorage;
  const channels = new AdapterRegistry({
    webhookUrl,
    sandbox,
    sandboxSecret: config.delivery.sandboxSecret,
    fetch,
    secrets: loadSecretKeyring(config.secrets, config.dataDir),
    media: mediaStorage
      ? (inbox) =>
          adapterMediaFor(
            { db, storage: mediaStorage, signingSecret: config.mediaSigningSecret, urlTtlSeconds: config.mediaUrlTtlSeconds, publicOrigin },
            inbox,
          )
      : undefined,
    templates: new TemplateCache(),
  });
  const worker = new DeliveryWorker({
    db,
    pubsub,
    config: config.delivery,
    adapters: channels,
    log: opts.logger ? (message, err) => opts.logger!.error({ err, component: 'delivery' }, message) : undefined,
    queue: new OutboxDeliveryQueue(db, config.delivery.leaseMs, {
      settleMs: config.delivery.uncertainSettleMs,
      idempotentSends: (inbox) => {
        try {
          return channels.forInbox(inbox).idempotentSends;
        } catch {
          // Unknown or misconfigured: the send will fail anyway; waiting first is the safe side.
          return false;
        }
      },
    }),
  });
  const reactions = new ReactionDelivery({
    db,
    channels,
    config: config.delivery,
    logger: opts.logger?.child({ component: 'reaction-delivery' }),
  });
  return {
    channels,
    worker,
    sandbox,
    reactions,
    start(listeningOrigin) {
      origin = listeningOrigin;
      // The sandbox's acceptances and owed callbacks live in this database: what a crashed process owed, this one posts.
      sandbox.attach(new DbSandboxStore(db), sandboxCallbackTargets(db, { webhookUrl, serverSecret: config.delivery.sandboxSecret }));
      if (config.delivery.runWorker) {
        worker.start();
        reactions.start();
      }
    },
    async stop() {
      await worker.stop();
      await reactions.stop();
      await sandbox.detach();
      if (!opts.sandbox) sandbox.close();
    },
  };
}
