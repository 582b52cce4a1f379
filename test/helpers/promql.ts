// What a PromQL query reads: the metric names it selects and the label names it uses, so
// that tests can check dashboards and autoscaler rules against what the service exports.
// Enough of PromQL for our own queries (selectors, ranges, functions, aggregations with
// by/without, binary operators), not a full parser.

export interface QueryReads {
  /** Every metric selected, with the label names of its matchers. */
  selectors: { metric: string; labels: string[] }[];
  /** Label names in by/without/on/ignoring/group_left/group_right lists. */
  groupings: string[];
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);
const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

export function readsOf(query: string): QueryReads {
  // Grafana's variables and the strings of label values say nothing about names.
  let text = query.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$\{?\w+\}?/g, '');
  const groupings: string[] = [];
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _word, list: string) => {
    groupings.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  text = text.replace(/\[[^\]]*\]/g, ' '); // range selectors and subqueries
  text = text.replace(/(^|[^a-zA-Z0-9_:.])\d+(\.\d+)?(e[+-]?\d+)?/gi, '$1 '); // numbers
  const selectors: QueryReads['selectors'] = [];
  for (let i = 0; i < text.length;) {
    NAME.lastIndex = i;
    const match = NAME.exec(text);
    if (!match || (i > 0 && /[a-zA-Z0-9_:]/.test(text[i - 1]))) {
      i++;
      continue;
    }
    const name = match[0];
    let j = i + name.length;
    while (text[j] === ' ') j++;
    if (text[j] === '(' || KEYWORDS.has(name.toLowerCase())) {
      i = j; // a function or aggregation, or an operator word
      continue;
    }
    let labels: string[] = [];
    if (text[j] === '{') {
      const end = text.indexOf('}', j);
      labels = [...text.slice(j + 1, end).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]);
      j = end + 1;
    }
    selectors.push({ metric: name, labels });
    i = j;
  }
  return { selectors, groupings };
}
