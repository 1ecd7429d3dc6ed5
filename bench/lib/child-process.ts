import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** Parent → child: one command. */
export interface ChildRequest {
  rpc: number;
  cmd: string;
  args?: unknown;
}

/** Child → parent: the answer to one command, or a notification (`rpc` absent). */
export type ChildMessage =
  { rpc: number; result: unknown } | { rpc: number; error: string } | { rpc?: undefined; type: string; [key: string]: unknown };

/** Open files a benchmark child asks for: two per socket would still leave room at 10k sockets. */
export const WANTED_FD_LIMIT = 65_536;

/**
 * The open-file limit children started by {@link ChildGroup} get: `ulimit -n` raised towards
 * {@link WANTED_FD_LIMIT} in the shell that execs them (as far as the hard limit allows; root may
 * raise that too). Node has no setrlimit, and a child inherits the limit of the shell that starts it.
 * Null when there is no bash (children then get this process's own limit, unknown here).
 */
export function childFdLimit(): number | null {
  try {
    const out = execFileSync('bash', ['-c', `${raiseFdLimit()}; ulimit -n`], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return null;
  }
}

function raiseFdLimit(): string {
  return `ulimit -n ${WANTED_FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`;
}

/** A benchmark child process (its own event loop and, if the machine has one, its own core) spoken to over IPC. */
export class BenchChild {
  private nextRpc = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Map<string, ((message: Record<string, unknown>) => void)[]>();
  private exitError: Error | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (m: ChildMessage) => {
      if (m.rpc === undefined) {
        for (const l of this.listeners.get(m.type) ?? []) l(m);
        return;
      }
      const waiter = this.pending.get(m.rpc);
      if (!waiter) return;
      this.pending.delete(m.rpc);
      clearTimeout(waiter.timer);
      if ('error' in m) waiter.reject(new Error(`${name}: ${m.error}`));
      else waiter.resolve(m.result);
    });
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        this.exitError = new Error(`${name} exited (code ${code}, signal ${signal})`);
        for (const w of this.pending.values()) {
          clearTimeout(w.timer);
          w.reject(this.exitError);
        }
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Sends a command and resolves with the child's answer; rejects on its error, its exit, or after `timeoutMs`. */
  call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const rpc = this.nextRpc++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rpc);
        reject(new Error(`${this.name}: "${cmd}" got no answer within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.process.send({ rpc, cmd, args } satisfies ChildRequest);
    });
  }

  /** Listens to notifications of one type. */
  on(type: string, listener: (message: Record<string, unknown>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  /** Asks the child to leave (IPC disconnect), then SIGKILLs it if it has not after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.disconnect();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Starts benchmark children and makes sure none outlives the run: `stopAll()` in a `finally`, plus
 * a SIGKILL of whatever is left when this process exits (run.ts ends with process.exit). Each child
 * exits by itself when its IPC channel closes, so a parent killed outright leaves nothing behind either.
 */
export class ChildGroup {
  private readonly children = new Set<BenchChild>();
  private readonly onExit = () => {
    for (const c of this.children) c.process.kill('SIGKILL');
  };

  constructor() {
    process.on('exit', this.onExit);
  }

  /**
   * Runs `script` (TypeScript, through @swc-node/register) in a new node process, exec'd from a bash
   * that first raises `ulimit -n` (see {@link childFdLimit}). Resolves once the child says it is ready.
   */
  async start(name: string, script: string, opts: { nodeArgs?: string[] } = {}): Promise<BenchChild> {
    const nodeArgs = [...(opts.nodeArgs ?? []), '-r', '@swc-node/register', script];
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    // `exec` keeps the pid and the IPC descriptor: the process we hold is node itself, not the shell.
    const child = hasBash()
      ? spawn('bash', ['-c', `${raiseFdLimit()}; exec "$0" "$@"`, process.execPath, ...nodeArgs], { stdio, serialization: 'advanced' })
      : spawn(process.execPath, nodeArgs, { stdio, serialization: 'advanced' });
    const wrapped = new BenchChild(name, child);
    this.children.add(wrapped);
    void wrapped.exited.then(() => this.children.delete(wrapped));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 60s`)), 60_000);
      wrapped.on('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      void wrapped.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready`));
      });
    });
    return wrapped;
  }

  /** Stops every child still running (in parallel), then stops watching for exit. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((c) => c.stop()));
    process.off('exit', this.onExit);
  }
}

let bashChecked: boolean | null = null;
function hasBash(): boolean {
  if (bashChecked === null) {
    try {
      execFileSync('bash', ['-c', 'true']);
      bashChecked = true;
    } catch {
      bashChecked = false;
    }
  }
  return bashChecked;
}

/**
 * The child's side: answers the parent's commands with `handlers`, exits when the parent goes away,
 * and announces itself ready. Returns `notify` for unsolicited messages to the parent.
 */
export function serveParent(handlers: Record<string, (args: never) => unknown>): {
  notify(type: string, body?: Record<string, unknown>): void;
} {
  if (!process.send) throw new Error('this script runs as a benchmark child process (it needs an IPC channel)');
  const send = process.send.bind(process);
  process.on('message', (request: ChildRequest) => {
    const handler = handlers[request.cmd];
    if (!handler) {
      send({ rpc: request.rpc, error: `unknown command ${request.cmd}` } satisfies ChildMessage);
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args as never))
      .then(
        (result) => send({ rpc: request.rpc, result: result ?? null } satisfies ChildMessage),
        (err: Error) => send({ rpc: request.rpc, error: String(err?.stack ?? err) } satisfies ChildMessage),
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' } satisfies ChildMessage);
  return { notify: (type, body = {}) => send({ ...body, type } satisfies ChildMessage) };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes of one machine. */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}
