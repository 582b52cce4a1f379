// Glob patterns over work-folder paths, for a run's artifacts: `*` (any characters of one
// path segment), `?` (one character of a segment), `**` as a whole segment (any number of
// segments, none included); everything else stands for itself. Matching never backtracks
// without bound: it walks segments as a set of states (linear in the number of segments times
// the pattern's), each segment compared in at most its length times the pattern segment's
// steps, and every step is counted against a budget the caller gives, so a hostile listing of
// many deep paths stops matching instead of holding the worker's event loop.

/** Longest pattern, in bytes. */
export const GLOB_MAX_BYTES = 256;

/** Why `pattern` is refused as an artifact glob, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (Buffer.byteLength(pattern, 'utf8') > GLOB_MAX_BYTES) return `is longer than ${GLOB_MAX_BYTES} bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(pattern)) return 'contains a control character';
  if (pattern.includes('\\')) return 'contains a backslash';
  if (pattern.startsWith('/')) return 'is absolute (patterns are relative to the work folder)';
  const segments = pattern.split('/');
  if (segments.some((s) => s === '..')) return 'contains ..';
  if (segments.some((s) => s === '' || s === '.')) return 'has an empty or . path segment';
  if (segments.some((s) => s.includes('**') && s !== '**')) return 'uses ** inside a segment (** stands alone between slashes)';
  return undefined;
}

/** A pattern split into segments, ready to match. */
export interface Glob {
  readonly source: string;
  readonly segments: readonly string[];
}

export function compileGlob(pattern: string): Glob {
  const problem = globProblem(pattern);
  if (problem) throw new Error(`glob ${JSON.stringify(pattern)} ${problem}`);
  return { source: pattern, segments: pattern.split('/') };
}

/** Steps a match may still take; shared by every match of one collection. */
export interface MatchBudget {
  steps: number;
}

export class MatchBudgetExceeded extends Error {
  override name = 'MatchBudgetExceeded';
}

function spend(budget: MatchBudget, steps: number): void {
  budget.steps -= steps;
  if (budget.steps < 0) throw new MatchBudgetExceeded('glob matching used up its step budget');
}

/** One segment against one pattern segment (`*` and `?`, no slashes on either side): the classic last-star scan. */
function segmentMatches(pattern: string, text: string, budget: MatchBudget): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  let steps = 0;
  while (t < text.length) {
    steps++;
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      spend(budget, steps);
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  spend(budget, steps + 1);
  return p === pattern.length;
}

/**
 * Whether `path` (a relative path, segments joined by `/`) matches `glob`. Throws
 * MatchBudgetExceeded once `budget` is spent.
 */
export function matchGlob(glob: Glob, path: string, budget: MatchBudget): boolean {
  const pattern = glob.segments;
  const text = path.split('/');
  // The pattern positions reached after the path segments read so far, with the ** that may
  // match nothing skipped over.
  const close = (states: Set<number>) => {
    for (let i = 0; i < pattern.length; i++) if (states.has(i) && pattern[i] === '**') states.add(i + 1);
    return states;
  };
  let states = close(new Set([0]));
  for (const segment of text) {
    const next = new Set<number>();
    for (const i of states) {
      if (i >= pattern.length) continue;
      if (pattern[i] === '**') next.add(i);
      else if (segmentMatches(pattern[i], segment, budget)) next.add(i + 1);
    }
    spend(budget, states.size + pattern.length);
    if (next.size === 0) return false;
    states = close(next);
  }
  return states.has(pattern.length);
}
