/**
 * A collector config of one traces pipeline, for tests of processor configs: the OTLP/HTTP
 * receiver on a port the OS picks, the `decision` processor and `processors` (YAML of further
 * processors, indented by two spaces), the processors `order` lists, and the debug exporter.
 */
export function tracesPipelineYaml(processors: string, order = 'decision'): string {
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  decision: {}
${processors}
exporters:
  debug: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [${order}]
      exporters: [debug]
`;
}
