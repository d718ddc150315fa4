import type { Logger } from 'pino';
import { PipelineError } from '../../component/pipeline-error.js';
import { RpcCode, type RpcCodeValue } from './rpc-status.js';

/** How both protocols answer data the pipeline did not take. */
export interface Refusal {
  httpStatus: 400 | 429 | 503;
  rpcCode: RpcCodeValue;
  message: string;
  /** Set when the client should retry: HTTP `Retry-After`, gRPC RetryInfo. */
  retryAfterSeconds?: number;
}

/**
 * Overload is never a 500: as in the OpenTelemetry Collector, a failure that does not say it is
 * permanent is treated as temporary, so the sender's exporter retries (redelivery is
 * idempotent) instead of dropping data.
 */
export function refusalOf(error: unknown, logger: Logger): Refusal {
  if (error instanceof PipelineError) {
    if (error.throttled) {
      logger.warn({ err: error }, 'pipeline is throttling; asking the client to retry later');
      return { httpStatus: 429, rpcCode: RpcCode.RESOURCE_EXHAUSTED, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    }
    if (error.retryable) {
      logger.warn({ err: error }, 'pipeline refused data; asking the client to retry');
      return { httpStatus: 503, rpcCode: RpcCode.UNAVAILABLE, message: error.message, retryAfterSeconds: error.retryAfterSeconds };
    }
    return { httpStatus: 400, rpcCode: RpcCode.INVALID_ARGUMENT, message: error.message };
  }
  logger.error({ err: error }, 'pipeline failed unexpectedly; asking the client to retry');
  return {
    httpStatus: 503,
    rpcCode: RpcCode.UNAVAILABLE,
    message: 'the pipeline could not process the request; retry later',
    retryAfterSeconds: 1,
  };
}
