/**
 * A collector config for `startCollector` with the default pipeline (otlp → decision →
 * decisions into SQLite, plus the decision API) and an `otlp` receiver block of the test's
 * choosing. `receiverYaml` gets the ports and returns the lines under `receivers.otlp:`
 * (indented by four spaces).
 */
export function configWithReceiver(receiverYaml: (ports: { http: number; grpc: number }) => string) {
  return (p: { http: number; grpc: number; api: number; dbPath: string }) => `
receivers:
  otlp:
${receiverYaml(p)}
processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:${p.dbPath}
extensions:
  decision_api:
    endpoint: 127.0.0.1:${p.api}
    storage: sqlite:${p.dbPath}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions]
  telemetry:
    logs:
      level: warn
`;
}
