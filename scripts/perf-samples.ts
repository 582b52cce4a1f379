// Reads `perf script -F comm,tid,ip,sym,dso` of a node process started with --perf-basic-prof
// and says where its CPU time went: each sample is one on-CPU moment with its call stack, so
// unlike V8's own profiler (which samples wall time) a thread preempted by another process is
// not counted. Three views: the kind of work (JavaScript, V8 compiling, garbage collection,
// the kernel), the library whose code was running (the innermost frame that belongs to a
// package or a runbox module, else node's core), and the busiest functions.

export interface Frame {
  symbol: string;
  /** The shared object: the node binary, a library, [kernel.kallsyms], or a JIT map. */
  dso: string;
}

export interface ProfileShares {
  samples: number;
  /** Share of samples per kind of work, 0-1, largest first. */
  kinds: [string, number][];
  /** Share of samples per library, by the innermost frame that names one, largest first. */
  libraries: [string, number][];
  /** Share of samples per innermost function, largest first. */
  functions: [string, number][];
}

/** The samples of a `perf script -F comm,tid,ip,sym,dso` text, innermost frame first. */
export function parsePerfScript(text: string): Frame[][] {
  const samples: Frame[][] = [];
  let current: Frame[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) {
      if (current) samples.push(current);
      current = undefined;
    } else if (!/^\s/.test(line)) {
      if (current) samples.push(current);
      current = [];
    } else if (current) {
      // "\t    55d0c0ffee Builtins_LoadIC (/usr/bin/node)": address, symbol, (dso).
      const match = /^\s*[0-9a-f]+\s+(.*?)\s*(?:\(([^()]*)\))?$/.exec(line);
      if (match) current.push({ symbol: match[1] || '[unknown]', dso: match[2] ?? '' });
    }
  }
  if (current) samples.push(current);
  return samples;
}

const GC =
  /Scavenger|MarkCompactCollector|MinorMarkCompact|MinorMarkSweep|ConcurrentMarking|MarkingVisitor|Sweeper::|Heap::CollectGarbage|Heap::PerformGarbageCollection|GCTracer/;
const COMPILER = /compiler::|[Mm]aglev|Turbofan|OptimizedCompilationJob|Compiler::Compile|BaselineCompiler|BaselineBatchCompiler/;
const JS_FRAME = /^(?:JS|LazyCompile|Script):/;
const NODE_CORE = 'node core';
/** The kernel and its modules ([kernel.kallsyms], [nf_conntrack]); not [vdso], [unknown] or a JIT map. */
const isKernel = (frame: Frame) => /^\[(?!vdso\]|unknown\]|JIT\])/.test(frame.dso);

/** What kind of work a sample was doing: the kernel where the CPU was in it, else what the stack was for. */
function kindOf(stack: Frame[]): string {
  if (stack.length > 0 && isKernel(stack[0]))
    return stack.some((f) => !isKernel(f)) ? 'kernel, called from the process' : 'kernel, no user frame';
  if (stack.some((f) => GC.test(f.symbol))) return 'garbage collection';
  if (stack.some((f) => COMPILER.test(f.symbol))) return 'V8 compiling';
  if (stack.some((f) => JS_FRAME.test(f.symbol))) return 'JavaScript';
  return 'native (node, libuv, libc)';
}

/** A runbox module's path or file:// URL under `projectRoot`, one pattern per root (a profile reads thousands of frames). */
const ownModules = new Map<string, RegExp>();
function ownModule(projectRoot: string): RegExp {
  let pattern = ownModules.get(projectRoot);
  if (!pattern) {
    const root = projectRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    ownModules.set(projectRoot, (pattern = new RegExp(`(?:\\s|file://)${root}/(?:dist|src)/(\\S+?)\\.[cm]?[jt]s:`)));
  }
  return pattern;
}

/** The library a JavaScript frame belongs to, or undefined for a frame that is not JavaScript. */
export function libraryOf(symbol: string, projectRoot: string): string | undefined {
  if (!JS_FRAME.test(symbol)) return undefined;
  // The last node_modules names the package itself, not one that depends on it (or pnpm's .pnpm).
  const packages = [...symbol.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)];
  if (packages.length > 0) return packages[packages.length - 1][1];
  const own = ownModule(projectRoot).exec(symbol);
  if (own) return `runbox ${own[1]}`;
  if (/\snode:/.test(symbol)) return NODE_CORE;
  return undefined;
}

function shares(counts: Map<string, number>, total: number): [string, number][] {
  return [...counts].map(([k, v]): [string, number] => [k, v / total]).sort((a, b) => b[1] - a[1]);
}

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

export function profileShares(samples: Frame[][], projectRoot: string): ProfileShares {
  const kinds = new Map<string, number>();
  const libraries = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const stack of samples) {
    const kind = kindOf(stack);
    bump(kinds, kind);
    // Node's core (streams, sockets, events) is charged to the package or runbox module that
    // called into it, where one is on the stack; an event from the loop (a socket's data
    // arriving) starts a stack of its own, which stays node core's.
    const owners = stack.map((f) => libraryOf(f.symbol, projectRoot)).filter((l) => l !== undefined);
    bump(libraries, owners.find((l) => l !== NODE_CORE) ?? owners[0] ?? `(no JavaScript frame: ${kind})`);
    bump(functions, stack[0]?.symbol.replace(/^(?:JS|LazyCompile|Script):[*~^+]?\s*/, '') ?? '[unknown]');
  }
  const total = Math.max(1, samples.length);
  return { samples: samples.length, kinds: shares(kinds, total), libraries: shares(libraries, total), functions: shares(functions, total) };
}
