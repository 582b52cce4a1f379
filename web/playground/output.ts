// The output pane: the run's frames as they stream (stdout and stderr told apart, compiler
// output marked), then the record's status, verdict, exit code, time and memory, and for a
// judged run one row per test.
import { byId, element } from './dom.js';

/** The fields of a run record the page shows (the API sends more). */
export interface RunRecord {
  id: string;
  language: string;
  status: string;
  verdict: string | null;
  exitCode: number | null;
  signal: string | null;
  timeMs: number | null;
  memoryBytes: number | null;
  error?: string;
  tests?: { name: string; verdict: string; exitCode: number | null; timeMs: number | null; memoryBytes: number | null }[];
}

const GOOD = new Set(['ok', 'accepted']);
const mib = (bytes: number | null) => (bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const ms = (time: number | null) => (time === null ? '-' : `${time} ms`);

export function createOutputView() {
  const output = byId<HTMLPreElement>('output');
  const status = byId('status');
  const result = byId('result');
  const error = byId('result-error');
  const verdicts = byId<HTMLTableElement>('verdicts');

  function clear(): void {
    output.replaceChildren();
    result.hidden = true;
    error.hidden = true;
    verdicts.hidden = true;
    verdicts.tBodies[0].replaceChildren();
  }

  function append(text: string, className: string): void {
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.append(element('span', text, className));
    if (atBottom) output.scrollTop = output.scrollHeight;
  }

  function verdictCell(verdict: string | null): HTMLElement {
    return element('td', verdict ?? '-', verdict === null ? '' : GOOD.has(verdict) ? `verdict-${verdict}` : 'verdict-bad');
  }

  function showRecord(run: RunRecord): void {
    result.hidden = false;
    byId('result-status').textContent = run.status;
    const verdict = byId('result-verdict');
    verdict.textContent = run.verdict ?? '-';
    verdict.className = run.verdict === null ? '' : GOOD.has(run.verdict) ? `verdict-${run.verdict}` : 'verdict-bad';
    byId('result-exit').textContent = run.exitCode === null ? (run.signal ?? '-') : String(run.exitCode);
    byId('result-time').textContent = ms(run.timeMs);
    byId('result-memory').textContent = mib(run.memoryBytes);
    error.hidden = !run.error;
    error.textContent = run.error ?? '';
    if (!run.tests) return;
    verdicts.hidden = false;
    verdicts.tBodies[0].replaceChildren(
      ...run.tests.map((test, i) => {
        const row = element('tr');
        row.append(
          element('td', String(i + 1)),
          element('td', test.name),
          verdictCell(test.verdict),
          element('td', test.exitCode === null ? '-' : String(test.exitCode)),
          element('td', ms(test.timeMs)),
          element('td', mib(test.memoryBytes)),
        );
        return row;
      }),
    );
  }

  return {
    clear,
    status: (text: string) => (status.textContent = text),
    /** Program output: class stdout or stderr, plus compile or test for those phases. */
    output: (stream: 'stdout' | 'stderr', data: string, phase?: string) => append(data, phase ? `${stream} ${phase}` : stream),
    /** What the user typed into an interactive run. */
    typed: (text: string) => append(text, 'stdin'),
    note: (text: string) => append(`${text}\n`, 'note'),
    showRecord,
  };
}

export type OutputView = ReturnType<typeof createOutputView>;
