// The import graph of src/: no cycles, and the layer rules of STYLE.md ("folders are layers,
// imports point one way"). Imports are read with the TypeScript parser, so type-only
// imports, re-exports and dynamic import() all count.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = join(root, 'src');

interface Edge {
  /** A path relative to the project ("src/api/app.ts") for our files, else the package name. */
  to: string;
  ours: boolean;
  typeOnly: boolean;
}
type Graph = Map<string, Edge[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return 'node:' + specifier.replace(/^node:/, '');
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every module `file` imports: static imports, re-exports, import-equals and dynamic import(). */
function specifiersIn(text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = Boolean(
        clause && (clause.isTypeOnly || (!clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly))),
      );
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true }); // import('x').T in a type
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function resolveOurs(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, join(base, 'index.ts')];
  const hit = candidates.find((c) => existsSync(c) && !c.endsWith('/'));
  if (!hit) throw new Error(`${relative(root, from)} imports ${specifier}, which does not resolve to a file`);
  return relative(root, hit);
}

function buildGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of sourceFiles(srcDir)) {
    graph.set(
      relative(root, file),
      specifiersIn(readFileSync(file, 'utf8')).map(({ specifier, typeOnly }) =>
        specifier.startsWith('.')
          ? { to: resolveOurs(file, specifier), ours: true, typeOnly }
          : { to: packageName(specifier), ours: false, typeOnly },
      ),
    );
  }
  return graph;
}

/** Every cycle among our files, each as the path that closes it. */
function findCycles(graph: Graph, include: (e: Edge) => boolean = () => true): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const edge of graph.get(file) ?? []) {
      if (!edge.ours || !include(edge)) continue;
      if (state.get(edge.to) === 'visiting') cycles.push([...stack.slice(stack.indexOf(edge.to)), edge.to]);
      else if (!state.has(edge.to)) visit(edge.to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/** Our files reachable from `start` (itself included). */
function reachable(graph: Graph, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const todo = [start];
  while (todo.length > 0) {
    for (const edge of graph.get(todo.pop()!) ?? []) {
      if (edge.ours && !seen.has(edge.to)) {
        seen.add(edge.to);
        todo.push(edge.to);
      }
    }
  }
  return seen;
}

const folderOf = (file: string) => file.split('/').slice(0, 2).join('/'); // "src/api"
const inFolder = (folder: string) => (file: string) => file.startsWith(`${folder}/`);
const isApi = (file: string) => inFolder('src/api')(file) || file === 'src/app.ts' || file === 'src/server.ts';
const entryPoints = ['src/server.ts', 'src/worker.ts', 'src/main.ts'];

/** The layer rules as data: which files a rule covers and what their imports may not be. */
const rules: { name: string; covers: (file: string) => boolean; forbids: (edge: Edge, from: string) => boolean }[] = [
  {
    name: 'domain/, config/ and lib/ import nothing of ours outside themselves',
    covers: (f) => ['src/domain', 'src/config', 'src/lib'].some((d) => inFolder(d)(f)),
    forbids: (e, from) => e.ours && folderOf(e.to) !== folderOf(from),
  },
  {
    name: 'the API never imports dockerode or src/sandbox',
    covers: isApi,
    forbids: (e) => (e.ours ? inFolder('src/sandbox')(e.to) : e.to === 'dockerode'),
  },
  {
    name: 'sandbox/ never imports fastify, bullmq, api/, worker/ or queue/',
    covers: inFolder('src/sandbox'),
    forbids: (e) =>
      e.ours
        ? ['src/api', 'src/worker', 'src/queue'].some((d) => inFolder(d)(e.to)) || ['src/app.ts', ...entryPoints].includes(e.to)
        : e.to === 'fastify' || e.to.startsWith('@fastify/') || e.to === 'bullmq',
  },
  {
    name: 'sandbox/, store/ and queue/ import of ours only domain/, lib/ and themselves',
    covers: (f) => ['src/sandbox', 'src/store', 'src/queue'].some((d) => inFolder(d)(f)),
    forbids: (e, from) => e.ours && folderOf(e.to) !== folderOf(from) && !['src/domain', 'src/lib'].includes(folderOf(e.to)),
  },
  {
    name: 'api/ imports of ours only domain/, config/, store/, queue/, lib/ and itself (app.ts and the services wire it)',
    covers: inFolder('src/api'),
    forbids: (e, from) =>
      e.ours &&
      folderOf(e.to) !== folderOf(from) &&
      !['src/domain', 'src/config', 'src/store', 'src/queue', 'src/lib'].includes(folderOf(e.to)),
  },
  {
    name: 'client/ imports of ours only types, from domain/ and api/ (the schemas): its JavaScript stands alone',
    covers: inFolder('src/client'),
    forbids: (e, from) =>
      e.ours && folderOf(e.to) !== folderOf(from) && (!e.typeOnly || !['src/domain', 'src/api'].includes(folderOf(e.to))),
  },
  {
    name: 'worker/ imports of ours only domain/, config/, sandbox/, store/, queue/, lib/ and itself',
    covers: inFolder('src/worker'),
    forbids: (e, from) =>
      e.ours &&
      folderOf(e.to) !== folderOf(from) &&
      !['src/domain', 'src/config', 'src/sandbox', 'src/store', 'src/queue', 'src/lib'].includes(folderOf(e.to)),
  },
  {
    name: 'no module imports an entry point (they do their work at import time)',
    covers: () => true,
    forbids: (e) => e.ours && entryPoints.includes(e.to),
  },
];

function violations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [file, edges] of graph) {
    for (const rule of rules) {
      if (!rule.covers(file)) continue;
      for (const edge of edges) if (rule.forbids(edge, file)) found.push(`${file} -> ${edge.to} (${rule.name})`);
    }
  }
  return found;
}

const graph = buildGraph();

t.test('reads the imports of every file under src/', async (t) => {
  t.equal(graph.size, sourceFiles(srcDir).length);
  t.equal(graph.size > 20, true, `${graph.size} files`);
  t.equal(
    graph.get('src/app.ts')!.some((e) => e.to === 'src/api/error-handler.ts' && !e.typeOnly),
    true,
    'a value import of ours',
  );
  t.equal(
    graph.get('src/app.ts')!.some((e) => e.to === 'src/api/deps.ts' && e.typeOnly),
    true,
    'a type-only import of ours',
  );
  t.equal(
    graph.get('src/sandbox/container-spec.ts')!.some((e) => e.to === 'dockerode' && e.typeOnly),
    true,
    'a type-only package import',
  );
  t.equal(
    graph.get('src/lib/local-redis.ts')!.some((e) => e.to === 'node:child_process'),
    true,
    'a Node builtin',
  );
});

t.test('reads every form of import, and which are type-only', async (t) => {
  const text = `
    import a from 'pa'; import type { B } from 'pb'; import { type C } from 'pc'; import { D, type E } from 'pd';
    export { f } from 'pf'; export * from 'pg'; export type { H } from 'ph';
    import i = require('pi'); const j = await import('pj'); let k: import('pk').K; import 'pl';
    // import 'not-in-a-comment';
    const s = "import 'not-in-a-string'";`;
  t.same(specifiersIn(text), [
    { specifier: 'pa', typeOnly: false },
    { specifier: 'pb', typeOnly: true },
    { specifier: 'pc', typeOnly: true },
    { specifier: 'pd', typeOnly: false },
    { specifier: 'pf', typeOnly: false },
    { specifier: 'pg', typeOnly: false },
    { specifier: 'ph', typeOnly: true },
    { specifier: 'pi', typeOnly: false },
    { specifier: 'pj', typeOnly: false },
    { specifier: 'pk', typeOnly: true },
    { specifier: 'pl', typeOnly: false },
  ]);
});

t.test('has no circular imports in src/', async (t) => {
  t.same(findCycles(graph), []);
});

/** The graph of folders (each file at the top of src/ its own node): an edge where any file of one imports a file of another. */
function folderGraph(files: Graph): Graph {
  const folders: Graph = new Map();
  for (const [file, edges] of files) {
    const from = folderOf(file);
    const out = folders.get(from) ?? [];
    for (const edge of edges) {
      if (!edge.ours || folderOf(edge.to) === from || out.some((e) => e.to === folderOf(edge.to))) continue;
      out.push({ to: folderOf(edge.to), ours: true, typeOnly: edge.typeOnly });
    }
    folders.set(from, out);
  }
  return folders;
}

t.test('has no circular imports between folders: layers point one way', async (t) => {
  t.same(findCycles(folderGraph(graph)), []);
  const looped = folderGraph(
    new Map([
      ['src/api/a.ts', [{ to: 'src/app.ts', ours: true, typeOnly: false }]],
      ['src/app.ts', [{ to: 'src/api/b.ts', ours: true, typeOnly: false }]],
    ]),
  );
  t.same(findCycles(looped), [['src/api', 'src/app.ts', 'src/api']], 'a cycle through two folders is found');
});

t.test('the cycle check finds a cycle when there is one', async (t) => {
  const edge = (to: string): Edge => ({ to, ours: true, typeOnly: false });
  const cyclic: Graph = new Map([
    ['src/a.ts', [edge('src/b.ts')]],
    ['src/b.ts', [edge('src/c.ts')]],
    ['src/c.ts', [edge('src/a.ts')]],
    ['src/d.ts', [edge('src/a.ts')]],
  ]);
  t.same(findCycles(cyclic), [['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']]);
});

for (const rule of rules) {
  t.test(`keeps the layer rule: ${rule.name}`, async (t) => {
    const broken: string[] = [];
    for (const [file, edges] of graph) {
      if (!rule.covers(file)) continue;
      for (const edge of edges) if (rule.forbids(edge, file)) broken.push(`${file} -> ${edge.to}`);
    }
    t.same(broken, []);
  });
}

t.test('the API cannot reach dockerode or src/sandbox through anything it imports', async (t) => {
  for (const start of [...graph.keys()].filter(isApi)) {
    const reached = [...reachable(graph, start)];
    t.same(reached.filter(inFolder('src/sandbox')), [], `${start} reaches no sandbox file`);
    t.same(
      reached.filter((f) => graph.get(f)?.some((e) => e.to === 'dockerode')),
      [],
      `${start} reaches no dockerode user`,
    );
  }
});

t.test('the layer check reports an import that breaks a rule', async (t) => {
  const to = (target: string, ours = true): Edge => ({ to: target, ours, typeOnly: true });
  const bad: Graph = new Map([
    ['src/domain/x.ts', [to('src/store/keys.ts')]],
    ['src/api/routes/y.ts', [to('dockerode', false)]],
    ['src/app.ts', [to('src/sandbox/container-spec.ts')]],
    ['src/sandbox/z.ts', [to('fastify', false), to('src/queue/run-queue.ts')]],
    ['src/store/w.ts', [to('src/config/config.ts')]],
    ['src/worker/v.ts', [to('src/main.ts')]],
    ['src/api/u.ts', [to('src/worker/judge.ts'), to('src/app.ts')]],
    ['src/worker/s.ts', [to('src/api/errors.ts')]],
    ['src/domain/ok.ts', [to('src/domain/run-record.ts'), to('@sinclair/typebox', false)]],
  ]);
  t.same(
    violations(bad).map((v) => v.split(' (')[0]),
    [
      'src/domain/x.ts -> src/store/keys.ts',
      'src/api/routes/y.ts -> dockerode',
      'src/app.ts -> src/sandbox/container-spec.ts',
      'src/sandbox/z.ts -> fastify',
      'src/sandbox/z.ts -> src/queue/run-queue.ts',
      'src/sandbox/z.ts -> src/queue/run-queue.ts',
      'src/store/w.ts -> src/config/config.ts',
      'src/worker/v.ts -> src/main.ts',
      'src/worker/v.ts -> src/main.ts',
      'src/api/u.ts -> src/worker/judge.ts',
      'src/api/u.ts -> src/app.ts',
      'src/worker/s.ts -> src/api/errors.ts',
    ],
  );
});
