import { EVERYTHING_DOWNSTREAM, type ReceiverFactory } from '../../component/component.js';
import { RequestAdmission } from './admission.js';
import { BearerTokenAuthenticator } from './bearer-auth.js';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.js';
import { OtlpGrpcReceiver } from './grpc-receiver.js';
import { OtlpHttpReceiver } from './http-receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  configSchema: otlpReceiverSchema,
  create({ id, config, logger, downstream = EVERYTHING_DOWNSTREAM }, next) {
    const decoding = { keepEncoding: downstream.forwardsReceivedEncoding, outlineNonDecisionSpans: downstream.decisionSpansOnly };
    const auth = config.auth ? new BearerTokenAuthenticator(config.auth) : undefined;
    const protocols = `receivers.${id}.protocols`;
    // One budget for both protocols: memory is shared, whichever way requests arrive.
    const admission = new RequestAdmission(config.admission.request_limit_mib * 1024 * 1024);
    const http = config.protocols.http
      ? new OtlpHttpReceiver(config.protocols.http, next, logger, { configPath: `${protocols}.http`, auth, admission, decoding })
      : undefined;
    const grpc = config.protocols.grpc
      ? new OtlpGrpcReceiver(config.protocols.grpc, next, logger, { configPath: `${protocols}.grpc`, auth, admission, decoding })
      : undefined;
    return {
      async start() {
        await grpc?.start();
        try {
          await http?.start();
        } catch (error) {
          await grpc?.shutdown();
          throw error;
        }
      },
      async shutdown() {
        await Promise.all([http?.shutdown(), grpc?.shutdown()]);
      },
    };
  },
};
