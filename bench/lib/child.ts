import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');
export const PROFILE_DIR = path.join(CACHE_DIR, 'profiles');

/** Set by `--profile`: every worker writes a V8 CPU profile to bench/.cache/profiles/ when it exits. */
export const profiling = { enabled: false };

export interface WorkerEvent {
  name: string;
  [field: string]: unknown;
}

export interface Worker {
  readonly pid: number;
  /** What the worker announced when it became ready. */
  readonly info: Readonly<Record<string, unknown>>;
  /** The base URL the worker announced (servers and fakes), or '' for workers that serve nothing. */
  readonly url: string;
  request<T = unknown>(type: string, payload?: unknown): Promise<T>;
  /** Calls `listener` with every event the worker sends unasked (`{type: 'event', name, ...}`). */
  onEvent(listener: (event: WorkerEvent) => void): void;
  /** Peak resident set size of the worker so far, in MiB (Linux VmHWM). */
  peakRssMb(): number | null;
  /** Asks the worker to exit (which writes its CPU profile when profiling) and waits for it. */
  stop(): Promise<void>;
}

/** Peak RSS of a live process from /proc (VmHWM): the kernel's own high-water mark, no sampling gaps. */
export function peakRssOf(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Starts `bench/workers/<name>.ts` under tsx and waits until it reports ready. */
export async function startWorker(
  name: string,
  options: { env?: Record<string, string>; args?: string[]; readyTimeoutMs?: number } = {},
): Promise<Worker> {
  const execArgv = ['--import', 'tsx'];
  if (profiling.enabled) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    // Node names each thread's profile CPU.<date>.<time>.<pid>.<thread>.<seq>; workers.tsv says whose pid it is.
    execArgv.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR);
  }
  const child: ChildProcess = fork(path.join(BENCH_DIR, 'workers', `${name}.ts`), options.args ?? [], {
    execArgv,
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    // The server's own logs go nowhere (as to a log shipper) unless BENCH_WORKER_LOGS=1; errors stay visible.
    stdio: ['ignore', process.env.BENCH_WORKER_LOGS === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const listeners: ((event: WorkerEvent) => void)[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`worker ${name} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${name} not ready in time`)),
      options.readyTimeoutMs ?? 120_000,
    );
    child.on(
      'message',
      (message: { type?: string; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
        if (message?.type === 'event') {
          for (const listener of listeners) listener(message as unknown as WorkerEvent);
          return;
        }
        if (message?.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
          return;
        }
        const waiter = message.id === undefined ? undefined : pending.get(message.id);
        if (!waiter) return;
        pending.delete(message.id!);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new Error(`worker ${name}: ${message.error}`));
      },
    );
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited before it was ready (exit ${code})`));
    });
  });
  const pid = child.pid!;
  if (profiling.enabled) appendFileSync(path.join(PROFILE_DIR, 'workers.tsv'), `${pid}\t${name}\n`);
  const request = <T>(type: string, payload?: unknown): Promise<T> => {
    if (exited) return Promise.reject(new Error(`worker ${name} has exited`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, type, payload });
    });
  };
  return {
    pid,
    info,
    url: typeof info.url === 'string' ? info.url : '',
    request,
    onEvent: (listener) => void listeners.push(listener),
    peakRssMb: () => peakRssOf(pid),
    async stop() {
      if (exited) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await request('exit').catch(() => {});
      await exitPromise;
      clearTimeout(killer);
    },
  };
}

/** Runs `fn` with a worker and always stops the worker, returning the result and the worker's peak RSS. */
export async function withWorker<T>(
  name: string,
  options: Parameters<typeof startWorker>[1],
  fn: (worker: Worker) => Promise<T>,
): Promise<{ result: T; peakRssMb: number | null }> {
  const worker = await startWorker(name, options);
  try {
    const result = await fn(worker);
    return { result, peakRssMb: worker.peakRssMb() };
  } finally {
    await worker.stop();
  }
}
