import { parse } from 'yaml';
import { testCollectorConfigWithReceiver, type CollectorPorts } from './test-config.js';

/**
 * A collector config for `startCollector` with the default pipeline (otlp → decision →
 * decisions into SQLite, plus the decision API) and an `otlp` receiver block of the test's
 * choosing. `receiverYaml` gets the ports and returns the lines under `receivers.otlp:`
 * (indented by four spaces).
 */
export function configWithReceiver(receiverYaml: (ports: { http: number; grpc: number }) => string) {
  return (p: CollectorPorts) => testCollectorConfigWithReceiver(p, parse(receiverYaml(p)));
}
