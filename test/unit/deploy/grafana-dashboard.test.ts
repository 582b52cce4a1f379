// deploy/grafana/runbox-dashboard.json reads only what runbox exports: every metric its
// queries select is one the API and the workers register (prom-client's series names, a
// histogram's _bucket, _sum and _count included), with labels that metric has.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { createMetrics } from '../../../src/lib/metrics.js';
import { readsOf } from '../../helpers/promql.js';

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** Series name -> its label names, as /metrics exposes them. */
export function exportedSeries(): Map<string, string[]> {
  const series = new Map<string, string[]>();
  for (const metric of createMetrics().registry.getMetricsAsArray()) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] };
    const type = (metric as unknown as { type: string }).type;
    if (type === 'histogram') {
      series.set(`${name}_bucket`, [...labelNames, 'le']);
      series.set(`${name}_sum`, labelNames);
      series.set(`${name}_count`, labelNames);
    } else {
      series.set(name, labelNames);
    }
  }
  return series;
}

async function dashboardQueries(): Promise<{ where: string; expr: string }[]> {
  const dashboard = JSON.parse(await readFile(new URL('../../../deploy/grafana/runbox-dashboard.json', import.meta.url), 'utf8'));
  const queries: { where: string; expr: string }[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
  }
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const labelValues = /^label_values\((\w+),\s*(\w+)\)$/.exec(query ?? '');
    if (labelValues) queries.push({ where: `variable $${variable.name}`, expr: `${labelValues[1]} by (${labelValues[2]})` });
  }
  return queries;
}

t.test('every dashboard query selects metrics the service exports, by labels they have', async (t) => {
  const series = exportedSeries();
  const queries = await dashboardQueries();
  t.ok(queries.length >= 20, `the dashboard has its queries (${queries.length})`);
  const used = new Set<string>();
  for (const { where, expr } of queries) {
    const reads = readsOf(expr);
    t.ok(reads.selectors.length > 0, `${where} selects a metric`);
    const labelsOfQuery = new Set([...TARGET_LABELS, ...reads.selectors.flatMap((s) => series.get(s.metric) ?? [])]);
    for (const { metric, labels } of reads.selectors) {
      used.add(metric);
      t.ok(series.has(metric), `${where}: ${metric} is exported`);
      for (const label of labels)
        t.ok([...TARGET_LABELS, ...(series.get(metric) ?? [])].includes(label), `${where}: ${metric} has ${label}`);
    }
    for (const label of reads.groupings) t.ok(labelsOfQuery.has(label), `${where}: grouped by ${label}, a label of what it selects`);
  }
  // Each of runbox's own families is on the dashboard.
  const families = [...series.keys()].filter((s) => s.startsWith('runbox_')).map((s) => s.replace(/_(bucket|sum|count)$/, ''));
  for (const family of new Set(families))
    t.ok(
      [...used].some((u) => u.startsWith(family)),
      `${family} is shown`,
    );
});

t.test('the query reader finds metrics past functions, ranges, groupings and numbers', async (t) => {
  t.same(
    readsOf('histogram_quantile(0.95, sum by (le, language) (rate(runbox_x_bucket{job=~"$job", source="warm"}[$__rate_interval]))) / 1e9'),
    { selectors: [{ metric: 'runbox_x_bucket', labels: ['job', 'source'] }], groupings: ['le', 'language'] },
  );
  t.same(
    readsOf('max(a_b) / sum(rate(c:d[5m])) and on (x) e').selectors.map((s) => s.metric),
    ['a_b', 'c:d', 'e'],
  );
});
