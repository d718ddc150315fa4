import type { ReceiverFactory } from '../../component/component.js';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.js';
import { OtlpGrpcReceiver } from './grpc-receiver.js';
import { OtlpHttpReceiver } from './http-receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  configSchema: otlpReceiverSchema,
  create({ config, logger }, next) {
    const http = config.protocols.http ? new OtlpHttpReceiver(config.protocols.http, next, logger) : undefined;
    const grpc = config.protocols.grpc ? new OtlpGrpcReceiver(config.protocols.grpc, next, logger) : undefined;
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
