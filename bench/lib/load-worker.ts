/**
 * The load generator's process (started by LoadGenerator): runs one autocannon run per request from
 * the parent and replies with a summary. Latencies are taken from autocannon's per-response event in
 * fractional milliseconds, because its own histogram keeps whole milliseconds only.
 */
import type { LoadReply, LoadRequest, LoadResult, LoadSpec } from './load';
import { summarise } from './stats';

interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
}
interface AutocannonResult {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}
type Autocannon = (options: Record<string, unknown>, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

// autocannon ships no types; the surface used is declared above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

function runOnce(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        requests: spec.bodies.map((body) => ({ method: 'POST', body })),
        // A 200 with `errors` is still a failure for a GraphQL client.
        verifyBody: (body: string) => !body.includes('"errors":'),
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          requests: result.requests.total,
          durationS: result.duration,
          rps: result.requests.total / result.duration,
          latencyMs: summarise(latencies),
          failures: { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, graphqlErrors: result.mismatches },
          samplesMs: latencies,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
}

process.on('message', (request: LoadRequest) => {
  runOnce(request.spec).then(
    (result) => process.send!({ id: request.id, result } satisfies LoadReply),
    (err: Error) => process.send!({ id: request.id, error: err.message } satisfies LoadReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!('ready');
