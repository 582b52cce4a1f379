// runbox's runtimes under Piston's names: Piston calls C++ `c++` and R `rscript`; each
// name is an alias of the other, both ways. A request's version is a semver selector (`*`,
// `3.x`, `3.11.2`) matched against the version the runtime's image reports.
import semver from 'semver';
import { findRuntime, type Runtime } from '../../domain/runtimes.js';

/** Piston's language name where it differs from runbox's id. */
const pistonNames: Record<string, string> = { cpp: 'c++', r: 'rscript' };
/** Piston's runtime field, given where a language has alternative runtimes there. */
const pistonRuntimes: Record<string, string> = { javascript: 'node', csharp: 'mono' };

export interface PistonRuntime {
  language: string;
  version: string;
  aliases: string[];
  runtime?: string;
}

export const pistonNameOf = (runtime: Pick<Runtime, 'language'>) => pistonNames[runtime.language] ?? runtime.language;

/** One runtime as Piston lists it; `version` is "0.0.0" until a worker has reported the real one. */
export function pistonRuntime(runtime: Runtime, version: string | undefined): PistonRuntime {
  const name = pistonNameOf(runtime);
  const aliases = [...new Set([runtime.language, ...runtime.aliases])].filter((alias) => alias !== name);
  return {
    language: name,
    version: version ?? '0.0.0',
    aliases,
    ...(pistonRuntimes[runtime.language] ? { runtime: pistonRuntimes[runtime.language] } : {}),
  };
}

/** Whether a version satisfies a client's selector, as Piston's semver.satisfies does (loose: "12.2" is 12.2.0). */
export function versionMatches(version: string | undefined, selector: string): boolean {
  if (selector === '*' || selector === 'x') return true;
  const actual = semver.coerce(version ?? '');
  if (!actual) return false;
  try {
    return semver.satisfies(actual, selector, { loose: true });
  } catch {
    return false;
  }
}

/** The runtime a Piston request names (name or alias, either spelling) at a matching version. */
export function findPistonRuntime(
  catalogue: readonly Runtime[],
  language: string,
  selector: string,
  versions: Record<string, string>,
): Runtime | undefined {
  const wanted = language.toLowerCase();
  const runtime = findRuntime(catalogue, wanted) ?? catalogue.find((r) => pistonNameOf(r) === wanted);
  return runtime && versionMatches(versions[runtime.language], selector) ? runtime : undefined;
}
