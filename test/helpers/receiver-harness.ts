import { pino } from 'pino';
import type { Host, ReceiverComponent, TraceBatch, TracesConsumer } from '../../packages/collector/src/component/component.js';
import { otlpReceiverFactory } from '../../packages/collector/src/receivers/otlp/factory.js';
import { freePort } from './free-port.js';

/**
 * The real `otlp` receiver in this process, in front of a recording consumer instead of a
 * pipeline: what the receiver hands on, and what it answers when the pipeline fails, can be
 * observed and controlled directly.
 */
export interface ReceiverHarness {
  httpUrl: string;
  grpcTarget: string;
  batches: TraceBatch[];
  /** The next calls to the pipeline throw this (until set back to undefined). */
  failWith: unknown;
  /** Runs inside the pipeline call, e.g. to hold a request in flight. */
  duringConsume?: (batch: TraceBatch) => Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(receiverConfig: (ports: { http: number; grpc: number }) => Record<string, unknown>): Promise<ReceiverHarness> {
  const ports = { http: await freePort(), grpc: await freePort() };
  const config = otlpReceiverFactory.configSchema.parse(receiverConfig(ports));
  const harness: ReceiverHarness = {
    httpUrl: `http://127.0.0.1:${ports.http}`,
    grpcTarget: `127.0.0.1:${ports.grpc}`,
    batches: [],
    failWith: undefined,
    stop: async () => receiver.shutdown(),
  };
  const consumer: TracesConsumer = {
    async consumeTraces(batch) {
      await harness.duringConsume?.(batch);
      if (harness.failWith !== undefined) throw harness.failWith;
      harness.batches.push(batch);
    },
  };
  // The receiver uses none of the host's services; anything it touched would throw here.
  const host = new Proxy({} as Host, {
    get(_, service) {
      throw new Error(`the otlp receiver used host.${String(service)}; give the harness a real one`);
    },
  });
  const receiver: ReceiverComponent = otlpReceiverFactory.create({ id: 'otlp', config, logger: pino({ level: 'silent' }), host }, consumer);
  await receiver.start();
  return harness;
}

/** Both protocols on loopback with default limits, plus whatever `extra` adds at the top level. */
export function bothProtocols(extra: Record<string, unknown> = {}, http: Record<string, unknown> = {}, grpc: Record<string, unknown> = {}) {
  return (ports: { http: number; grpc: number }) => ({
    protocols: {
      http: { endpoint: `127.0.0.1:${ports.http}`, ...http },
      grpc: { endpoint: `127.0.0.1:${ports.grpc}`, ...grpc },
    },
    ...extra,
  });
}
