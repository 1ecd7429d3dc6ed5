import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A Switchboard server running as `npm start` does, in its own process, so `kill -9` is real. */
export interface ChildServer {
  /** `http://127.0.0.1:PORT/graphql` */
  url: string;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, in-memory state is lost, as in a crash. Resolves once it exited. */
  kill9(): Promise<void>;
  /** SIGTERM: the graceful shutdown of src/main.ts. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with `env` on top of the test's environment (port 0: the URL is read from
 * its start-up line). Rejects with the process output when it exits or prints nothing in 60 s.
 */
export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  // NODE_TEST_CONTEXT would make the child talk to our test runner instead of serving.
  const { NODE_TEST_CONTEXT: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', CACHE_DIR: path.join(ROOT, '.cache'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving GraphQL at (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited during start-up:\n${output}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { url, process: child, output: () => output, kill9: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
