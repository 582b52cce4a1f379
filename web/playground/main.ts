// The playground: pick a language, edit, run with stdin, args and limits, watch the output
// stream, type into an interactive run, cancel, judge against tests, share a run by its
// link (#run=<id>), and where the server has sessions open a terminal. Everything goes
// through the public API with the key typed into the page (kept in this browser only).
import samples from 'virtual:samples';
import { createApi, describeError } from './api.js';
import { byId } from './dom.js';
import { createEditor } from './editor.js';
import { createTestList } from './judge-tests.js';
import { createOutputView } from './output.js';
import { watchRun, type RunWatch } from './run-watch.js';

interface Runtime {
  language: string;
  version: string;
  aliases: string[];
  compiled: boolean;
  /** Present where the server builds runtimes in the background: ready, building or failed. */
  status?: string;
}

const KEY_STORAGE = 'runbox.apiKey';
const keyInput = byId<HTMLInputElement>('api-key');
keyInput.value = localStorage.getItem(KEY_STORAGE) ?? '';
const api = createApi(() => keyInput.value.trim());
const view = createOutputView();
const editor = createEditor(byId('editor'));
const languageSelect = byId<HTMLSelectElement>('language');
const runtimeState = byId('runtime-state');
const runButton = byId<HTMLButtonElement>('run');
const judgeButton = byId<HTMLButtonElement>('judge');
const cancelButton = byId<HTMLButtonElement>('cancel');
const stdinLine = byId<HTMLFormElement>('stdin-line');
const stdinInput = byId<HTMLInputElement>('stdin-input');
const share = byId<HTMLAnchorElement>('share');
const tests = createTestList([
  { stdin: 'world', expected: 'hello, world' },
  { stdin: 'runbox', expected: 'hello, runbox' },
]);

let runtimes: Runtime[] = [];
/** What was typed per language, so switching back and forth keeps it. */
const drafts = new Map<string, string>();
let shown = '';
let current: RunWatch | undefined;

function showLanguage(language: string): void {
  if (shown) drafts.set(shown, editor.text());
  shown = language;
  editor.load(language, drafts.get(language) ?? samples[language] ?? '');
  const runtime = runtimes.find((r) => r.language === language);
  const state = runtime?.status && runtime.status !== 'ready' ? runtime.status : '';
  runtimeState.textContent = runtime ? `${runtime.version}${runtime.compiled ? ', compiled' : ''}${state ? ` (${state})` : ''}` : '';
  setBusy(current !== undefined);
}

async function loadRuntimes(): Promise<void> {
  const reply = await api.get<Runtime[]>('/runtimes');
  if (!reply.ok) {
    view.status(
      reply.status === 401 ? 'this server needs an API key: type one above' : `cannot list the languages: ${describeError(reply)}`,
    );
    return;
  }
  runtimes = reply.body;
  const previous = languageSelect.value || shown || 'python';
  languageSelect.replaceChildren(
    ...runtimes.map((r) => {
      const option = document.createElement('option');
      option.value = r.language;
      option.textContent = r.status && r.status !== 'ready' ? `${r.language} (${r.status})` : r.language;
      return option;
    }),
  );
  languageSelect.value = runtimes.some((r) => r.language === previous) ? previous : (runtimes[0]?.language ?? '');
  showLanguage(languageSelect.value);
  if (!current) view.status('ready');
}

function setBusy(busy: boolean): void {
  const runtime = runtimes.find((r) => r.language === languageSelect.value);
  const unavailable = runtime?.status !== undefined && runtime.status !== 'ready';
  runButton.disabled = busy || unavailable;
  judgeButton.disabled = busy || unavailable;
  cancelButton.disabled = !busy;
}

/** Follows run `id` in the output pane until it ends; the page's address becomes its link. */
async function follow(id: string, interactive: boolean): Promise<void> {
  history.replaceState(null, '', `#run=${encodeURIComponent(id)}`);
  share.href = location.href;
  share.hidden = false;
  setBusy(true);
  const watch = watchRun(api, id, view, (status) => {
    stdinLine.hidden = !(interactive && status === 'running');
    if (!stdinLine.hidden) stdinInput.focus();
  });
  current = watch;
  await watch.ended;
  current = undefined;
  stdinLine.hidden = true;
  setBusy(false);
}

function limits(): Record<string, number> | undefined {
  const entries = [
    ['timeMs', byId<HTMLInputElement>('limit-time').value],
    ['memoryMb', byId<HTMLInputElement>('limit-memory').value],
  ].filter(([, value]) => value !== '');
  return entries.length > 0 ? Object.fromEntries(entries.map(([name, value]) => [name, Number(value)])) : undefined;
}

async function submit(body: Record<string, unknown>, interactive: boolean): Promise<void> {
  view.clear();
  view.status('submitting');
  setBusy(true);
  const reply = await api.post<{ id: string }>('/runs', body);
  if (!reply.ok) {
    view.status(describeError(reply));
    setBusy(false);
    return;
  }
  await follow(reply.body.id, interactive);
}

runButton.addEventListener('click', () => {
  const interactive = byId<HTMLInputElement>('interactive').checked;
  const args = byId<HTMLTextAreaElement>('args')
    .value.split('\n')
    .filter((line) => line !== '');
  void submit(
    {
      language: languageSelect.value,
      source: editor.text(),
      ...(interactive ? { interactive } : { stdin: byId<HTMLTextAreaElement>('stdin').value }),
      ...(args.length > 0 ? { args } : {}),
      ...(limits() ? { limits: limits() } : {}),
    },
    interactive,
  );
});

judgeButton.addEventListener('click', () => {
  void submit(
    {
      language: languageSelect.value,
      source: editor.text(),
      tests: tests.tests(),
      compare: byId<HTMLSelectElement>('compare').value,
      ...(limits() ? { limits: limits() } : {}),
    },
    false,
  );
});

byId('add-test').addEventListener('click', () => tests.add());
cancelButton.addEventListener('click', () => void current?.cancel());
stdinLine.addEventListener('submit', (event) => {
  event.preventDefault();
  current?.sendLine(stdinInput.value);
  stdinInput.value = '';
});
byId('send-eof').addEventListener('click', () => current?.sendEof());
languageSelect.addEventListener('change', () => showLanguage(languageSelect.value));
keyInput.addEventListener('change', () => {
  localStorage.setItem(KEY_STORAGE, keyInput.value.trim());
  void loadRuntimes();
});

// Tabs: one panel at a time.
const tabs = ['run', 'judge', 'terminal'];
for (const name of tabs) {
  byId(`tab-${name}`).addEventListener('click', () => {
    for (const other of tabs) {
      byId(`tab-${other}`).setAttribute('aria-selected', String(other === name));
      byId(`panel-${other}`).hidden = other !== name;
    }
  });
}

/** The terminal tab appears where the server has sessions; xterm.js is loaded only then. */
async function offerTerminal(): Promise<void> {
  const features = await api.get<{ terminal: boolean }>('/playground/features.json');
  if (!features.ok || !features.body.terminal) return;
  byId('tab-terminal').hidden = false;
  const openButton = byId<HTMLButtonElement>('open-shell');
  const closeButton = byId<HTMLButtonElement>('close-shell');
  let shell: { close(): Promise<void> } | undefined;
  const ended = (message: string) => {
    view.note(message);
    openButton.disabled = false;
    closeButton.disabled = true;
  };
  openButton.addEventListener('click', async () => {
    openButton.disabled = true;
    try {
      const { openShell } = await import('./terminal.js');
      shell = await openShell(api, byId('terminal'), languageSelect.value, ended);
      closeButton.disabled = false;
    } catch (error) {
      ended((error as Error).message);
    }
  });
  closeButton.addEventListener('click', () => void shell?.close().then(() => ended('the session was removed')));
}

await loadRuntimes();
void offerTerminal();
// A shared link (#run=<id>) shows that run: its output from the start, live if it still runs.
const shared = /^#run=(.+)$/.exec(location.hash)?.[1];
if (shared) {
  view.clear();
  view.note(`run ${decodeURIComponent(shared)}, from its link`);
  void follow(decodeURIComponent(shared), false);
}
