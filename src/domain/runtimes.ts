import type { Limits } from './limits.js';
import type { CommandTemplates } from './run-spec.js';

// The runtime catalogue as data: what each language is called, where its source goes, and
// how it is compiled and run. Adding a language = one entry here + deploy/runtimes/<id>/Dockerfile
// + its fixtures in test/fixtures/languages/<id>/ (docs/languages.md, step by step).

export interface Runtime {
  /** Id clients send as `language`; also the image name (RUNTIME_IMAGE_PREFIX + language). */
  language: string;
  aliases: string[];
  /** Name the `source` field is saved under. */
  fileName: string;
  /** Extension of the sources handed to the compiler as `{sources}`. */
  sourceExtension: string;
  /** argv of the compile step; `{entry}` is the entry file, `{sources}` expands to every source file. */
  compile?: string[];
  /** argv of the program; `{entry}` is the entry file; the request's args follow. */
  run: string[];
  /** Extra environment for every execution of this runtime. */
  env?: Record<string, string>;
  /** This runtime's defaults over the server's (a JVM wants more memory); requests still override. */
  limits?: Partial<Limits>;
  /** This runtime's compile-step limits over the server's COMPILE_* settings. */
  compileLimits?: Partial<Pick<Limits, 'timeMs' | 'memoryMb' | 'outputBytes'>>;
  /** Docker runtime for this language (e.g. runsc), over SANDBOX_RUNTIME. */
  sandboxRuntime?: string;
  /** Its image, where it is not RUNTIME_IMAGE_PREFIX + language (a custom runtime's, tagged with its definition's hash). */
  image?: string;
}

export const runtimeCatalogue: readonly Runtime[] = [
  {
    language: 'python',
    aliases: ['py', 'python3'],
    fileName: 'main.py',
    sourceExtension: '.py',
    run: ['python3', '{entry}'],
    // Unbuffered, so a playground sees each print as it happens.
    env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  },
  {
    language: 'javascript',
    aliases: ['js', 'node', 'nodejs'],
    fileName: 'main.js',
    sourceExtension: '.js',
    run: ['node', '{entry}'],
  },
  {
    language: 'c',
    aliases: ['gcc'],
    fileName: 'main.c',
    sourceExtension: '.c',
    compile: ['gcc', '-O2', '-std=gnu17', '-o', 'main', '{sources}', '-lm'],
    run: ['./main'],
  },
  {
    language: 'cpp',
    aliases: ['c++', 'g++'],
    fileName: 'main.cpp',
    sourceExtension: '.cpp',
    compile: ['g++', '-O2', '-std=gnu++17', '-o', 'main', '{sources}'],
    run: ['./main'],
  },
  {
    language: 'bash',
    aliases: ['sh', 'shell'],
    fileName: 'main.sh',
    sourceExtension: '.sh',
    run: ['bash', '{entry}'],
  },
  {
    language: 'typescript',
    aliases: ['ts'],
    fileName: 'main.ts',
    sourceExtension: '.ts',
    // tsc type-checks (strict) and emits main.js next to main.ts, with Node's types (Debian's
    // @types/node) and no DOM; its diagnostics, printed on stdout, go to stderr.
    compile: [
      'sh',
      '-c',
      'exec tsc --strict --noEmitOnError --skipLibCheck --target es2022 --lib es2022 --module commonjs --typeRoots /usr/share/nodejs/@types --types node "$@" >&2',
      'tsc',
      '{sources}',
    ],
    // Runs the .js emitted for the entry: $0 is the entry, the request's args follow.
    run: ['sh', '-c', 'exec node "${0%.ts}.js" "$@"', '{entry}'],
  },
  {
    language: 'java',
    aliases: ['jdk', 'openjdk'],
    fileName: 'Main.java',
    sourceExtension: '.java',
    // javac is a short-lived JVM: the C1 compiler alone and the serial GC start it faster
    // (about 0.4 s instead of 0.6 s for a small class). The program keeps the full JIT; its
    // heap may use half the memory limit, the rest is the JVM's own (metaspace, code, threads).
    compile: ['javac', '-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-Xshare:auto', '-encoding', 'UTF-8', '-d', '.', '{sources}'],
    run: ['java', '-XX:+UseSerialGC', '-XX:MaxRAMPercentage=50', '-Xshare:auto', '-cp', '.', 'Main'],
    limits: { memoryMb: 512, pids: 128 },
  },
  {
    language: 'go',
    aliases: ['golang'],
    fileName: 'main.go',
    sourceExtension: '.go',
    compile: ['go', 'build', '-o', 'main', '{sources}'],
    run: ['./main'],
    // The build cache goes to /tmp, so only the binary is carried into the run.
    env: { GOCACHE: '/tmp/go-cache', GOPATH: '/tmp/go', CGO_ENABLED: '0' },
  },
  {
    language: 'rust',
    aliases: ['rs', 'rustc'],
    fileName: 'main.rs',
    sourceExtension: '.rs',
    // One crate: rustc finds the other files through `mod`.
    compile: ['rustc', '-O', '--edition', '2021', '-o', 'main', '{entry}'],
    run: ['./main'],
  },
  {
    language: 'ruby',
    aliases: ['rb'],
    fileName: 'main.rb',
    sourceExtension: '.rb',
    run: ['ruby', '{entry}'],
  },
  {
    language: 'php',
    aliases: [],
    fileName: 'main.php',
    sourceExtension: '.php',
    run: ['php', '{entry}'],
  },
  {
    language: 'perl',
    aliases: ['pl'],
    fileName: 'main.pl',
    sourceExtension: '.pl',
    run: ['perl', '{entry}'],
  },
  {
    language: 'lua',
    aliases: ['lua5.4'],
    fileName: 'main.lua',
    sourceExtension: '.lua',
    run: ['lua5.4', '{entry}'],
  },
  {
    language: 'haskell',
    aliases: ['hs', 'ghc'],
    fileName: 'main.hs',
    sourceExtension: '.hs',
    // Object and interface files go to /tmp, so only the binary is carried into the run.
    compile: ['ghc', '-O', '-outputdir', '/tmp/ghc', '-o', 'main', '{sources}'],
    run: ['./main'],
  },
  {
    language: 'csharp',
    aliases: ['cs', 'c#', 'mono', 'mcs'],
    fileName: 'main.cs',
    sourceExtension: '.cs',
    compile: ['mcs', '-out:main.exe', '{sources}'],
    run: ['mono', 'main.exe'],
  },
  {
    language: 'kotlin',
    aliases: ['kt'],
    fileName: 'main.kt',
    sourceExtension: '.kt',
    // kotlinc (a JVM) reads JAVA_OPTS: C1 alone and the serial GC halve its time (1.8 s
    // instead of 3.4 s for hello); -PrintWarnings hides the JVM's notice about the -noverify
    // that Debian's kotlinc script passes. The jar carries the Kotlin runtime.
    compile: ['kotlinc', '-include-runtime', '-d', 'main.jar', '{sources}'],
    run: ['java', '-XX:+UseSerialGC', '-XX:MaxRAMPercentage=50', '-Xshare:auto', '-jar', 'main.jar'],
    env: { JAVA_OPTS: '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -XX:-PrintWarnings' },
    limits: { memoryMb: 512, pids: 128 },
  },
  {
    language: 'fortran',
    aliases: ['f90', 'gfortran'],
    fileName: 'main.f90',
    sourceExtension: '.f90',
    compile: ['gfortran', '-O2', '-o', 'main', '{sources}'],
    run: ['./main'],
  },
  {
    language: 'pascal',
    aliases: ['pas', 'fpc', 'freepascal'],
    fileName: 'main.pas',
    sourceExtension: '.pas',
    // Units and object files go to /tmp; only warnings and errors, printed on stdout, go to stderr.
    compile: ['sh', '-c', 'exec fpc -O2 -v0we -l- -FU/tmp -omain "$@" >&2', 'fpc', '{entry}'],
    run: ['./main'],
  },
  {
    language: 'ocaml',
    aliases: ['ml'],
    fileName: 'main.ml',
    sourceExtension: '.ml',
    // Modules are linked in dependency order (ocamldep -sort), whatever order the files came in.
    compile: ['sh', '-c', 'exec ocamlopt -o main $(ocamldep -sort "$@")', 'ocamlopt', '{sources}'],
    run: ['./main'],
  },
  {
    language: 'r',
    aliases: ['rscript'],
    fileName: 'main.R',
    sourceExtension: '.R',
    run: ['Rscript', '{entry}'],
  },
  {
    language: 'd',
    aliases: ['dlang', 'gdc'],
    fileName: 'main.d',
    sourceExtension: '.d',
    compile: ['gdc', '-O2', '-o', 'main', '{sources}'],
    run: ['./main'],
  },
  {
    language: 'nim',
    aliases: ['nimrod'],
    fileName: 'main.nim',
    sourceExtension: '.nim',
    // Nim compiles through C; its cache (the generated C) goes to /tmp.
    compile: ['nim', 'compile', '-d:release', '--hints:off', '--nimcache:/tmp/nimcache', '-o:main', '{entry}'],
    run: ['./main'],
  },
];

/** The image a runtime runs in: its own, or RUNTIME_IMAGE_PREFIX + language, tag latest (scripts/build-images.sh builds it so). */
export const imageOf = (prefix: string, runtime: Pick<Runtime, 'language' | 'image'>) =>
  runtime.image ?? `${prefix}${runtime.language}:latest`;

/** Finds a runtime by id or alias, case-insensitively. */
export function findRuntime(catalogue: readonly Runtime[], name: string): Runtime | undefined {
  const wanted = name.toLowerCase();
  return catalogue.find((r) => r.language === wanted || r.aliases.includes(wanted));
}

/**
 * Expands `{entry}` and `{sources}` in an argv template. A file name that a command would
 * read as an option never gets this far (file-names.ts); it is refused here too.
 */
export function expandCommand(template: readonly string[], entry: string, sources: readonly string[]): string[] {
  for (const name of [entry, ...sources])
    if (/^[-@]/.test(name)) throw new Error(`file name ${JSON.stringify(name)} would be read as an option`);
  return template.flatMap((part) => {
    if (part === '{sources}') return sources.length > 0 ? [...sources] : [entry];
    return [part.replaceAll('{entry}', entry)];
  });
}

/** The runtime with a run's own compile and run commands, where it has them. */
export function withCommands(runtime: Runtime | undefined, commands: CommandTemplates | undefined): Runtime | undefined {
  if (!runtime || !commands) return runtime;
  const { compile, ...rest } = runtime;
  const compiled = commands.compile === undefined ? compile : (commands.compile ?? undefined);
  return { ...rest, ...(compiled ? { compile: compiled } : {}), run: commands.run ?? runtime.run };
}
