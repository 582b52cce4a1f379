import t from 'tap';
import { createBackgroundGate } from '../../../src/sandbox/background-gate.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('background work goes at once when no run started lately', async (t) => {
  const gate = createBackgroundGate({ quietMs: 50, maxDelayMs: 500 });
  let ran = 0;
  gate.whenQuiet(() => ran++);
  t.equal(ran, 1);
});

t.test('while runs are under way it waits, and goes once they have ended a while ago', async (t) => {
  const gate = createBackgroundGate({ quietMs: 50, maxDelayMs: 1000 });
  let ran = 0;
  const first = gate.runStarted();
  gate.whenQuiet(() => ran++);
  gate.whenQuiet(() => ran++);
  t.equal(ran, 0, 'held');
  const second = gate.runStarted();
  first();
  await wait(80);
  t.equal(ran, 0, 'still held: a run is under way');
  second();
  second();
  await wait(20);
  t.equal(ran, 0, 'still held: the last run ended 20 ms ago');
  await wait(60);
  t.equal(ran, 2, 'both went once quiet');
});

t.test('under a steady stream of runs it goes after maxDelayMs at the latest', async (t) => {
  const gate = createBackgroundGate({ quietMs: 50, maxDelayMs: 150 });
  let ranAt = 0;
  const started = Date.now();
  let end = gate.runStarted();
  gate.whenQuiet(() => (ranAt = Date.now()));
  while (!ranAt && Date.now() - started < 1000) {
    const next = gate.runStarted();
    end();
    end = next;
    await wait(10);
  }
  t.ok(ranAt > 0 && ranAt - started < 400, `went after ${ranAt - started} ms though runs kept starting`);
});
