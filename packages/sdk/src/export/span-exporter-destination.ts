import type { ReadableSpanLike, SpanExporterLike } from '../otel-span-like.js';
import type { DeliveryDestination } from './delivery-queue.js';
import { isRetryableSpanExportFailure, SpanExportError } from './span-export-failure.js';

const EXPORT_SUCCESS = 0;

/**
 * The application's span exporter as a delivery destination: its callback becomes a promise,
 * and a failed result a `SpanExportError` that tells the delivery loop whether to retry.
 */
export class SpanExporterDestination implements DeliveryDestination<ReadableSpanLike> {
  constructor(private readonly exporter: SpanExporterLike) {}

  export(spans: readonly ReadableSpanLike[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.exporter.export(spans as ReadableSpanLike[], (result) => {
        if (result.code === EXPORT_SUCCESS) {
          resolve();
          return;
        }
        const cause = result.error;
        reject(
          new SpanExportError(`span export failed: ${cause?.message || 'the exporter gave no reason'}`, {
            retryable: isRetryableSpanExportFailure(cause),
            cause,
          }),
        );
      });
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.exporter.forceFlush?.();
  }
}
