// A small Prometheus registry: counters and gauges with labels, rendered in the text
// format. One per process, passed to whoever records (API routes, the run processor).

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());

export function createMetrics() {
  const families = new Map<string, Family>();

  function family(name: string, help: string, type: Family['type']) {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help, type, values: new Map() }));
    return f;
  }

  function change(f: Family, labels: Labels, apply: (old: number) => number) {
    const key = keyOf(labels);
    const entry = f.values.get(key) ?? { labels, value: 0 };
    entry.value = apply(entry.value);
    f.values.set(key, entry);
  }

  return {
    counter(name: string, help: string) {
      const f = family(name, help, 'counter');
      return { inc: (labels: Labels = {}, by = 1) => change(f, labels, (v) => v + by) };
    },
    gauge(name: string, help: string) {
      const f = family(name, help, 'gauge');
      return { set: (labels: Labels, value: number) => change(f, labels, () => value) };
    },
    render(): string {
      const lines: string[] = [];
      for (const f of families.values()) {
        lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
        for (const { labels, value } of f.values.values()) {
          const text = Object.entries(labels)
            .map(([k, v]) => `${k}="${escape(v)}"`)
            .join(',');
          lines.push(`${f.name}${text ? `{${text}}` : ''} ${value}`);
        }
      }
      return lines.join('\n') + '\n';
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
