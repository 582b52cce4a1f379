// The playground in a real headless browser (Debian's chromium through playwright-core)
// against a real runbox: type a program, run it and watch its output stream in (stdout and
// stderr apart) before the verdict; type into an interactive run; cancel a long one; judge
// with two tests; open a run from its link; use an API key. The page loads nothing from
// elsewhere and breaks none of its Content-Security-Policy. Screenshots go to
// .artifacts/playground/ (git-ignored). Needs `npm run build` (make test does it) and chromium
// (scripts/ensure-test-tools.sh).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import t, { type Test } from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { sha256Hex } from '../../src/api/auth.js';
import { PLAYGROUND_CSP } from '../../src/api/routes/playground.js';
import { PLAYGROUND_DIR } from '../../src/api-service.js';
import { containersLeftBy, startService } from '../helpers/service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../.artifacts/playground/', import.meta.url).pathname;

if (!existsSync(`${PLAYGROUND_DIR}/index.html`)) {
  execFileSync('node', ['--import', 'tsx', 'scripts/build-playground.ts'], { cwd: new URL('../..', import.meta.url).pathname });
}
mkdirSync(ARTIFACTS, { recursive: true });

let browser: Browser;
t.before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
t.teardown(() => browser?.close());

/**
 * A page on `base` that records what it asks of other origins, console errors and CSP
 * violations. `prepare` runs before the page loads (to stand in for one of its requests).
 */
async function openPage(t: Test, base: string, path = '/', prepare?: (page: Page) => Promise<unknown>) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const foreign: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.host !== new URL(base).host) foreign.push(request.url());
  });
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  await prepare?.(page);
  const response = await page.goto(base + path);
  await page.waitForFunction(
    () =>
      (document.getElementById('language') as HTMLSelectElement).options.length > 0 ||
      /API key/.test(document.getElementById('status')!.textContent ?? ''),
  );
  return { page, response, foreign, problems };
}

/** Replaces the editor's text by typing it (CodeMirror gets real key events). */
async function typeProgram(page: Page, lines: string[]) {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  for (const [i, line] of lines.entries()) {
    // Typed as written: the editor's auto-indent after a newline is removed first.
    if (i > 0) {
      await page.keyboard.press('Enter');
      await page.keyboard.press('Shift+Home');
      await page.keyboard.press('Delete');
    }
    await page.keyboard.type(line);
  }
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

t.test('the playground without API keys (loopback)', async (t) => {
  const service = await startService(t);
  const { page, response, foreign, problems } = await openPage(t, service.url);
  t.equal(response?.headers()['content-security-policy'], PLAYGROUND_CSP, 'the page is served with its CSP');
  t.match(await page.locator('#language option').allTextContents(), ['python', 'javascript', 'c', 'cpp', 'bash']);
  await page.selectOption('#language', 'python');
  t.match(await page.locator('.cm-content').innerText(), /hello/, "the language's starter program is in the editor");

  await t.test('a run streams stdout and stderr apart, then the verdict, exit code, time and memory', async (t) => {
    await typeProgram(page, [
      'import sys, time',
      'for i in range(3):',
      '    print(f"line {i}", flush=True)',
      '    time.sleep(0.5)',
      'print("to stderr", file=sys.stderr)',
    ]);
    await page.click('#run');
    await page.locator('#output .stdout', { hasText: 'line 0' }).waitFor();
    t.equal(await page.locator('#result').isHidden(), true, 'the first line is shown before the run has ended');
    t.equal(await text(page, '#status'), 'running');
    await shot(page, 'run-streaming');
    await page.locator('#result').waitFor();
    t.equal(
      await page
        .locator('#output .stdout')
        .allInnerTexts()
        .then((parts) => parts.join('')),
      'line 0\nline 1\nline 2\n',
    );
    t.equal(
      await page
        .locator('#output .stderr')
        .allInnerTexts()
        .then((parts) => parts.join('')),
      'to stderr\n',
    );
    t.equal(await text(page, '#result-status'), 'completed');
    t.equal(await text(page, '#result-verdict'), 'ok');
    t.equal(await text(page, '#result-exit'), '0');
    t.match(await text(page, '#result-time'), /^\d+ ms$/);
    t.match(await text(page, '#result-memory'), /^\d+\.\d MiB$/);
    t.match(page.url(), /#run=[0-9a-f-]{36}$/, "the address is the run's link");
    await shot(page, 'run-ended');
  });

  await t.test("a run's link shows its output and result from the start", async (t) => {
    const shared = await openPage(t, service.url, new URL(page.url()).hash.replace(/^/, '/'));
    await shared.page.locator('#result').waitFor();
    t.match(await text(shared.page, '#output'), /line 0\nline 1\nline 2\n/);
    t.equal(await text(shared.page, '#result-verdict'), 'ok');
    t.same(shared.problems, []);
  });

  await t.test('an interactive run takes the lines typed while it runs', async (t) => {
    await typeProgram(page, ['name = input()', 'print("hello,", name)', 'print("bye", input())']);
    await page.check('#interactive');
    await page.click('#run');
    await page.locator('#stdin-input').waitFor();
    await page.fill('#stdin-input', 'Ada');
    await page.press('#stdin-input', 'Enter');
    await page.locator('#output .stdout', { hasText: 'hello, Ada' }).waitFor();
    await page.fill('#stdin-input', 'Grace');
    await page.press('#stdin-input', 'Enter');
    await page.locator('#result').waitFor();
    t.equal(await text(page, '#result-verdict'), 'ok');
    t.match(await text(page, '#output'), /Ada\nhello, Ada\nGrace\nbye Grace\n/, 'typed lines and output in order');
    t.equal(await page.locator('#stdin-line').isHidden(), true, 'no input line once it has ended');
    await page.uncheck('#interactive');
    await shot(page, 'interactive');
  });

  await t.test('Cancel stops a long run: cancelled, its sandbox gone', async (t) => {
    await typeProgram(page, ['import time', 'for i in range(600):', '    print(i, flush=True)', '    time.sleep(0.1)']);
    await page.click('#run');
    await page.locator('#output .stdout', { hasText: '3' }).waitFor();
    const began = Date.now();
    await page.click('#cancel');
    await page.locator('#result').waitFor();
    t.equal(await text(page, '#result-status'), 'cancelled');
    t.ok(Date.now() - began < 5000, `ended ${Date.now() - began} ms after Cancel`);
    t.equal(await page.locator('#cancel').isDisabled(), true);
    const runId = decodeURIComponent(new URL(page.url()).hash.slice('#run='.length));
    t.same(await containersLeftBy(runId), [], 'no container left');
    await shot(page, 'cancelled');
  });

  await t.test('judge with two tests: one row per test with its verdict', async (t) => {
    await page.click('#tab-judge');
    await typeProgram(page, ['word = input().strip()', 'print("hello, " + word if word != "runbox" else "no")']);
    await page.click('#judge');
    await page.locator('#verdicts').waitFor();
    const rows = await page
      .locator('#verdicts tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    t.same(rows, [
      ['1', 'test-1', 'accepted'],
      ['2', 'test-2', 'wrong_answer'],
    ]);
    t.equal(await text(page, '#result-verdict'), 'wrong_answer', "the run's verdict: its first failing test's");
    await shot(page, 'judge');
  });

  await t.test("a runtime that is not ready shows its state (GET /runtimes' status)", async (t) => {
    const building = await openPage(t, service.url, '/', (page) =>
      page.route('**/runtimes', async (route) => {
        const reply = await route.fetch();
        const runtimes = (await reply.json()) as { language: string; status?: string }[];
        t.ok(
          runtimes.every((r) => r.status === 'ready'),
          'the server says each ready',
        );
        const body = runtimes.map((r) => (r.language === 'cpp' ? { ...r, status: 'building' } : r));
        await route.fulfill({ response: reply, json: body });
      }),
    );
    t.match(await building.page.locator('#language option').allTextContents(), ['python', 'javascript', 'c', 'cpp (building)', 'bash']);
    await building.page.selectOption('#language', 'cpp');
    t.match(await text(building.page, '#runtime-state'), /\(building\)$/);
    await building.page.selectOption('#language', 'python');
    t.notMatch(await text(building.page, '#runtime-state'), /\(/, 'a ready one shows none');
  });

  t.same(foreign, [], 'nothing was asked of another origin');
  t.same(problems, [], 'no console error, no CSP violation');
});

t.test("the terminal tab: xterm.js on a session's shell, typed into, its sandbox gone when closed", async (t) => {
  const service = await startService(t);
  const { page, foreign, problems } = await openPage(t, service.url);
  const opened = page.waitForResponse((r) => r.url().endsWith('/sessions') && r.request().method() === 'POST');
  await page.click('#tab-terminal');
  await page.selectOption('#language', 'bash');
  await page.click('#open-shell');
  const session = (await (await opened).json()) as { id: string; status: string };
  t.equal(session.status, 'ready');
  await page.locator('#terminal .xterm-rows').waitFor();
  await page.locator('#terminal .xterm-rows', { hasText: '$' }).waitFor();
  await page.keyboard.type('echo $((6*7))-answer\n');
  await page.locator('#terminal .xterm-rows', { hasText: '42-answer' }).waitFor();
  await shot(page, 'terminal');
  await page.click('#close-shell');
  t.same(await containersLeftBy(session.id), [], "the session's sandbox is gone");
  t.same(foreign, [], 'nothing was asked of another origin');
  t.same(problems, [], 'no console error, no CSP violation');
});

t.test('with API keys: the page asks for one, keeps it in the browser, and runs with it', async (t) => {
  const key = 'playground-test-key-51d3';
  const service = await startService(t, { env: { API_KEYS: `web:runs+read:${sha256Hex(key)}` } });
  const { page, problems } = await openPage(t, service.url);
  t.match(await text(page, '#status'), /needs an API key/);
  await page.fill('#api-key', key);
  await page.press('#api-key', 'Tab');
  await page.waitForFunction(() => (document.getElementById('language') as HTMLSelectElement).options.length > 0);
  await page.selectOption('#language', 'bash');
  await typeProgram(page, ['echo "keyed $((6 * 7))"']);
  await page.click('#run');
  await page.locator('#result').waitFor();
  t.equal(await text(page, '#output'), 'keyed 42\n');
  t.equal(await text(page, '#result-verdict'), 'ok');
  t.equal(await page.evaluate(() => localStorage.getItem('runbox.apiKey')), key, 'the key is kept in this browser');
  await page.reload();
  await page.waitForFunction(() => (document.getElementById('language') as HTMLSelectElement).options.length > 0);
  t.equal(await page.inputValue('#api-key'), key, 'and used again after a reload');
  t.same(
    problems.filter((p) => !/401/.test(p)),
    [],
    'no console error but the first 401',
  );
});
