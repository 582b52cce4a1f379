// Reading the Prometheus text that GET /metrics answers, for assertions.

/** The value of one series: `name` with exactly these labels (none: the unlabelled one); undefined when absent. */
export function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}

/** The metric families a text declares (# HELP lines). */
export const familiesOf = (text: string) => new Set([...text.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]));
