/**
 * `npm run bench`: seeds a fresh database, then runs each section against real servers and prints
 * compact tables plus one `BENCH_JSON {…}` line for comparing runs across PRs. See bench/README.md.
 *
 * To add a section: write bench/<name>.ts exporting a BenchSection and list it in SECTIONS.
 */
import 'reflect-metadata';
import { createBenchDatabase } from './lib/database';
import { LoadGenerator } from './lib/load';
import { benchOptions, describeEnvironment } from './lib/options';
import type { BenchContext, BenchSection } from './lib/section';
import { seedBenchWorkspace } from './lib/seed';
import { clusterSection } from './cluster';
import { fanoutSection } from './fanout';
import { queriesSection } from './queries';

/** Run in this order; BENCH_SECTIONS=name,… picks some. */
const SECTIONS: BenchSection[] = [queriesSection, fanoutSection, clusterSection];

/** Bumped when a figure's meaning changes, so comparisons across PRs don't mix definitions. */
const JSON_VERSION = 1;

const progress = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = benchOptions();
  const unknown = options.sections.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`Unknown BENCH_SECTIONS ${unknown.join(', ')} (known: ${SECTIONS.map((s) => s.name).join(', ')})`);
  const sections = options.sections.length ? SECTIONS.filter((s) => options.sections.includes(s.name)) : SECTIONS;

  const database = await createBenchDatabase(options.databaseUrl);
  let load: LoadGenerator | null = null;
  try {
    const env = describeEnvironment(options, database.db.dialect, options.conversations * options.messagesPerConversation);
    console.log(
      `Switchboard benchmark — node ${env.node} ${env.platform}, ${env.cpus} CPUs (${env.cpuModel}), ${env.dialect === 'sqlite' ? 'SQLite (libsql, temp file)' : 'PostgreSQL (fresh database)'}, load average ${env.loadAvg1m}`,
    );
    progress(`Seeding ${options.conversations.toLocaleString('en-US')} conversations × ${options.messagesPerConversation} messages…`);
    const workspace = await seedBenchWorkspace(database.db, {
      conversations: options.conversations,
      messagesPerConversation: options.messagesPerConversation,
      seed: options.seed,
    });
    const c = workspace.counts;
    console.log(
      `Seeded ${c.conversations.toLocaleString('en-US')} conversations, ${c.messages.toLocaleString('en-US')} messages, ${c.reactions.toLocaleString('en-US')} reactions, ` +
        `${c.readMarkers.toLocaleString('en-US')} read markers, ${c.contacts.toLocaleString('en-US')} contacts (${c.identities.toLocaleString('en-US')} identities) in ${workspace.seconds.toFixed(1)} s`,
    );

    load = await LoadGenerator.start();
    const ctx: BenchContext = { options, database, workspace, load, progress };
    const results: Record<string, unknown> = {};
    for (const section of sections) {
      progress(`${section.title}…`);
      const result = await section.run(ctx);
      console.log(`\n== ${section.title} ==`);
      for (const line of result.lines) console.log(line);
      results[section.name] = result.json;
    }
    console.log('');
    console.log(
      `BENCH_JSON ${JSON.stringify({ version: JSON_VERSION, at: new Date().toISOString(), env, seed: { counts: c, seconds: workspace.seconds }, sections: results })}`,
    );
  } finally {
    await load?.close();
    await database.dispose(options.keepDatabase);
  }
}

main().then(
  // Open handles (ORM pools, timers of other modules) must not keep a finished benchmark alive.
  () => process.exit(0),
  (err: Error) => {
    // Bulk-insert errors carry the whole statement; keep the message readable.
    console.error(String(err.stack ?? err).slice(0, 4000));
    process.exit(1);
  },
);
