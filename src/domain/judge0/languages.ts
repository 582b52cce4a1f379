// Judge0's language ids for runbox's runtimes. The ids are Judge0 CE 1.13's, so that a client
// that hard-codes them keeps working; the newer ids of Judge0's hosted table (92 Python 3.11,
// 105 C++ GCC 14, ...) are accepted too and run on the same runtime. Names carry the version
// of runbox's runtime, read from its image. Nim has no Judge0 id and is not offered here.
import type { Runtime } from '../runtimes.js';

export interface Judge0Language {
  id: number;
  /** The runbox runtime it runs on; undefined for the multi-file program (the runtime is chosen from its files). */
  runtime?: string;
  label: string;
  /** The compiler or runtime named before the version, as Judge0 does: "C (GCC 12.2.0)". */
  tool?: string;
  /** Ids of other Judge0 tables that mean this language. */
  aliases?: number[];
}

/** Judge0's id of its multi-file program (`compile` and `run` scripts in additional_files). */
export const MULTI_FILE_PROGRAM_ID = 89;

export const judge0Languages: readonly Judge0Language[] = [
  { id: 46, runtime: 'bash', label: 'Bash' },
  { id: 50, runtime: 'c', label: 'C', tool: 'GCC', aliases: [48, 49, 75, 103, 104, 110] },
  { id: 51, runtime: 'csharp', label: 'C#', tool: 'Mono' },
  { id: 54, runtime: 'cpp', label: 'C++', tool: 'GCC', aliases: [52, 53, 76, 105] },
  { id: 56, runtime: 'd', label: 'D', tool: 'GDC' },
  { id: 59, runtime: 'fortran', label: 'Fortran', tool: 'GFortran' },
  { id: 60, runtime: 'go', label: 'Go', aliases: [95, 106, 107] },
  { id: 61, runtime: 'haskell', label: 'Haskell', tool: 'GHC' },
  { id: 62, runtime: 'java', label: 'Java', tool: 'OpenJDK', aliases: [91] },
  { id: 63, runtime: 'javascript', label: 'JavaScript', tool: 'Node.js', aliases: [93, 97, 102] },
  { id: 64, runtime: 'lua', label: 'Lua' },
  { id: 65, runtime: 'ocaml', label: 'OCaml' },
  { id: 67, runtime: 'pascal', label: 'Pascal', tool: 'FPC' },
  { id: 68, runtime: 'php', label: 'PHP', aliases: [98] },
  { id: 71, runtime: 'python', label: 'Python', aliases: [92, 100, 109, 113] },
  { id: 72, runtime: 'ruby', label: 'Ruby' },
  { id: 73, runtime: 'rust', label: 'Rust', aliases: [108] },
  { id: 74, runtime: 'typescript', label: 'TypeScript', aliases: [94, 101] },
  { id: 78, runtime: 'kotlin', label: 'Kotlin', aliases: [111] },
  { id: 80, runtime: 'r', label: 'R', aliases: [99] },
  { id: 85, runtime: 'perl', label: 'Perl' },
  { id: MULTI_FILE_PROGRAM_ID, label: 'Multi-file program' },
];

/** The language an id means, primary or alias. */
export function judge0LanguageById(id: number): Judge0Language | undefined {
  return judge0Languages.find((l) => l.id === id || l.aliases?.includes(id));
}

/** The primary id of a runbox runtime (for runs submitted through the native API). */
export function judge0IdOf(runtime: string): number | undefined {
  return judge0Languages.find((l) => l.runtime === runtime)?.id;
}

/** "Python (3.11.2)", "C (GCC 12.2.0)", "Multi-file program". */
export function judge0LanguageName(language: Judge0Language, version: string | undefined): string {
  if (!language.runtime) return language.label;
  const detail = [language.tool, version ?? 'unknown'].filter(Boolean).join(' ');
  return `${language.label} (${detail})`;
}

/** An argv template as one shell line, with the runtime's file name for its placeholders. */
export function commandLine(template: readonly string[] | undefined, runtime: Pick<Runtime, 'fileName'>): string | null {
  if (!template) return null;
  return template
    .map((part) => part.replaceAll('{entry}', runtime.fileName).replaceAll('{sources}', runtime.fileName))
    .map((part) => (/^[\w@%+=:,./{}-]+$/.test(part) ? part : `'${part.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
