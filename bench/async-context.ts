/**
 * What one use of AsyncLocalStorage costs every later promise. Each variant runs in its own process,
 * because the cost stays once any storage has run: `plain` never touches one, `once` runs one empty
 * `als.run` first (as MikroORM's transaction context or our request context do), then both await
 * 2,000,000 resolved async calls. On Node 20 `once` is ~3× slower; on Node 24 (AsyncContextFrame)
 * about the same.
 *
 * Run: node -r @swc-node/register bench/async-context.ts (any node binary: it re-runs itself with it)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';

const N = 2_000_000;

async function leaf(i: number): Promise<number> {
  return i;
}

async function work(): Promise<number> {
  let sum = 0;
  for (let i = 0; i < N; i++) sum += await leaf(i);
  return sum;
}

async function child(variant: string): Promise<void> {
  if (variant === 'once') new AsyncLocalStorage().run({}, () => {});
  const started = process.hrtime.bigint();
  await work();
  process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
}

function parent(): void {
  const run = (variant: string) => Number(execFileSync(process.execPath, [...process.execArgv, __filename, variant], { encoding: 'utf8' }));
  for (let round = 1; round <= 3; round++) {
    const plain = run('plain');
    const once = run('once');
    console.log(
      `Node ${process.version} round ${round}: plain ${plain.toFixed(0)} ms, after one als.run ${once.toFixed(0)} ms (${(once / plain).toFixed(2)}×)`,
    );
  }
}

const variant = process.argv[2];
if (variant) void child(variant);
else parent();
