// The artifacts globs of a submission (the run's, and a judge test's own): relative, no `..`,
// `**` alone in its segment (domain/glob.ts), or a 400 saying which glob and why.
import { globProblem } from '../domain/glob.js';
import { ApiError } from './errors.js';

export function checkArtifactGlobs(globs: string[]): string[] {
  for (const glob of globs) {
    const problem = globProblem(glob);
    if (problem) throw new ApiError('invalid_request', `artifact glob ${JSON.stringify(glob)} ${problem}`);
  }
  return globs;
}
