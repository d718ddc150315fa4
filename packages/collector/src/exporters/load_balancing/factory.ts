import type { ExporterFactory } from '../../component/component.js';
import { loadBalancingExporterSchema, type LoadBalancingExporterConfig } from './config.js';
import { DnsResolver } from './dns-resolver.js';
import { LoadBalancingExporter } from './load-balancer.js';
import { StaticResolver, type BackendResolver, type ResolverMetrics } from './resolver.js';

/** Routes every span of a trace (or of a service) to the same backend, over OTLP/gRPC. */
export const loadBalancingExporterFactory: ExporterFactory<LoadBalancingExporterConfig> = {
  kind: 'exporter',
  type: 'load_balancing',
  configSchema: loadBalancingExporterSchema,
  // Each backend sends its part over OTLP/gRPC, a routed scope's unchanged spans as received.
  forwardsReceivedEncoding: () => true,
  create({ id, config, logger, host }) {
    const kind = config.resolver.static ? 'static' : 'dns';
    const resolutions = host.metrics.counter('otelcol_loadbalancer_num_resolutions', 'Backend resolutions, by outcome.');
    const metrics: ResolverMetrics = {
      resolution: (success) => resolutions.with({ exporter: id, resolver: kind, success: String(success) }).add(),
    };
    const resolver: BackendResolver = config.resolver.static
      ? new StaticResolver(config.resolver.static.hostnames, metrics)
      : new DnsResolver(config.resolver.dns!, logger, metrics);
    return new LoadBalancingExporter({ id, config, logger, host, resolver });
  },
};
