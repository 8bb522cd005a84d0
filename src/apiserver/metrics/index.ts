/**
 * The metrics API (`metrics.k8s.io/v1beta1`, what `kubectl top` reads) as
 * the server wires it: discovery entries, the collector scraping agents
 * with the API server's client certificate, and the request handler.
 */
import type { ResourceInfo } from '../../api/resources.ts';
import type { Registry } from '../../registry/registry.ts';
import { MetricsCollector, type CollectorOptions } from './collector.ts';
import { metricsResources } from './resources.ts';
import { createKubeletScraper, type SummarySource } from './scraper.ts';

export { MetricsCollector, scrapeTarget, type MetricsSnapshot, type NodePoint, type PodPoint } from './collector.ts';
export { serveMetrics, usageQuantities } from './handler.ts';
export { metricsGroup, metricsResources, metricsVersion } from './resources.ts';
export { createKubeletScraper, type ScrapeTarget, type SummarySource } from './scraper.ts';

export interface MetricsApi {
  /** Discovery entries to add to the server's. */
  resources: ResourceInfo[];
  collector: MetricsCollector;
  close(): void;
}

export function createMetricsApi(o: {
  registry: Registry;
  /** The API server's client certificate towards agents (pki.apiserverClient). */
  clientCert: { certPem: string; keyPem: string };
  /** Replaces the HTTPS scraper (tests). */
  source?: SummarySource;
  options?: Partial<Omit<CollectorOptions, 'source' | 'listNodes'>>;
}): MetricsApi {
  const scraper = o.source ? undefined : createKubeletScraper(o.clientCert);
  const collector = new MetricsCollector({
    ...o.options,
    source: o.source ?? scraper!,
    listNodes: async () => (await o.registry.storeFor('', 'nodes').list('')).items,
  });
  return {
    resources: metricsResources,
    collector,
    close() {
      collector.stop();
      scraper?.close();
    },
  };
}
