// NATS JetStream for the tests: whether the machine's server is up, a stream of the test's own
// (deleted afterwards), and `decision-trace ingest` writers as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { connect } from 'nats';
import { CLI, NODE_TS, REPO_ROOT } from './collector-process.js';

export const NATS_URL = process.env.DT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Why NATS tests cannot run here, or undefined when a JetStream server answers. */
export async function natsUnavailable(): Promise<string | undefined> {
  const { hostname, port } = new URL(NATS_URL);
  const listening = await new Promise<boolean>((resolve) => {
    const socket = connectTcp({ host: hostname, port: Number(port) || 4222 });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!listening) return `NATS is not reachable at ${NATS_URL}: start nats-server with -js (see .ci/run) to run these tests`;
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000 });
    try {
      await nc.jetstreamManager({ timeout: 2000 });
    } finally {
      await nc.close();
    }
  } catch (error) {
    return `NATS at ${NATS_URL} has no JetStream (${(error as Error).message}): start nats-server with -js`;
  }
  return undefined;
}

/** A stream name and subject no other test run uses. */
export function uniqueStream(prefix: string): { stream: string; subject: string } {
  const tag = randomBytes(4).toString('hex');
  return { stream: `${prefix}_${tag}`.toUpperCase(), subject: `${prefix}.${tag}.events` };
}

export async function deleteStream(stream: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000 });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** Messages the durable consumer still has to deliver or to see acknowledged. */
export async function consumerBacklog(stream: string, durable: string): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000 });
  try {
    const info = await (await nc.jetstreamManager()).consumers.info(stream, durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
  } finally {
    await nc.close();
  }
}

export interface WriterProcess {
  process: ChildProcess;
  logs(): string;
  exited: Promise<number | null>;
  /** The totals of its last `ingest stopped` log line (after a clean stop). */
  totals(): { messages: number; appended: number; duplicates: number; invalid: number } | undefined;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** `decision-trace ingest` as a child process; resolves once it logged `ingest started`. */
export async function startWriter(args: { stream: string; subject: string; storage: string; extra?: string[] }): Promise<WriterProcess> {
  const child = spawn(
    process.execPath,
    [...NODE_TS, CLI, 'ingest', '--from', NATS_URL, '--stream', args.stream, '--subject', args.subject, '--storage', args.storage, ...(args.extra ?? [])],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!output.includes('"ingest started"')) {
    if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ingest did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    logs: () => output,
    exited,
    totals() {
      const line = output
        .split('\n')
        .reverse()
        .find((l) => l.includes('"ingest stopped"'));
      return line ? (JSON.parse(line) as ReturnType<WriterProcess['totals']>) : undefined;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
