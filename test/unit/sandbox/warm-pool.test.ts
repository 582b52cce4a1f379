// The warm pool over a stand-in launcher: what it keeps, hands out, refuses and drops.
import pino from 'pino';
import t from 'tap';
import type { SandboxProfile } from '../../../src/sandbox/container-spec.js';
import { createWarmPool, poolable, poolKey, type PooledItem, type WarmPoolOptions } from '../../../src/sandbox/warm-pool.js';

const profile = (overrides: Partial<SandboxProfile> = {}): SandboxProfile => ({
  image: 'runbox/python:latest',
  runtime: 'runc',
  limits: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 64 },
  network: false,
  root: false,
  ...overrides,
});

interface Item extends PooledItem {
  id: number;
  discarded: boolean;
  dead: boolean;
}

function setup(overrides: Partial<WarmPoolOptions<Item>> = {}) {
  let next = 0;
  const launched: Item[] = [];
  const takes: boolean[] = [];
  let fail = false;
  const pool = createWarmPool<Item>({
    size: 2,
    maxSize: 6,
    maxContainers: 10,
    memoryBudgetMb: 10_000,
    idleMs: 60_000,
    maxAgeMs: 600_000,
    fillConcurrency: 2,
    log: pino({ level: 'silent' }),
    async launch(p) {
      if (fail) throw new Error('engine away');
      const item: Item = {
        id: next++,
        profile: p,
        startedAt: Date.now(),
        discarded: false,
        dead: false,
        alive: () => !item.dead,
        discard: () => void (item.discarded = true),
      };
      launched.push(item);
      return item;
    },
    onTake: (hit) => takes.push(hit),
    ...overrides,
  });
  return { pool, launched, takes, failing: (on: boolean) => (fail = on) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

t.test('keeps `size` sandboxes of a profile warm and hands each out once', async (t) => {
  const { pool, launched, takes } = setup();
  pool.warm([profile()]);
  await settle();
  t.equal(launched.length, 2);
  const a = pool.take(profile());
  const b = pool.take(profile());
  t.not(a, undefined);
  t.not(a, b, 'never the same sandbox twice');
  await settle();
  t.equal(launched.length, 4, 'refilled in the background');
  t.same(takes, [true, true]);
});

t.test('a miss never waits: it answers at once, and the profile is kept warm from then on', async (t) => {
  const { pool, launched, takes } = setup();
  t.equal(pool.take(profile({ image: 'runbox/c:latest' })), undefined);
  t.same(takes, [false]);
  await settle();
  t.equal(launched.length, 2);
  t.not(pool.take(profile({ image: 'runbox/c:latest' })), undefined);
});

t.test(
  'under runc a profile differing only in memory, CPUs or pids shares a pool (docker update applies them); under gVisor it does not',
  async (t) => {
    t.equal(poolKey(profile()), poolKey(profile({ limits: { memoryMb: 512, cpus: 2, pids: 8, diskMb: 64 } })));
    t.not(poolKey(profile()), poolKey(profile({ limits: { memoryMb: 256, cpus: 1, pids: 64, diskMb: 32 } })), 'disk is fixed at creation');
    t.not(
      poolKey(profile({ runtime: 'runsc' })),
      poolKey(profile({ runtime: 'runsc', limits: { memoryMb: 512, cpus: 1, pids: 64, diskMb: 64 } })),
    );
  },
);

t.test('a run with network or root never gets a pooled sandbox', async (t) => {
  const { pool, launched } = setup();
  t.equal(poolable(profile({ network: true })), false);
  t.equal(poolable(profile({ root: true })), false);
  t.equal(pool.take(profile({ network: true })), undefined);
  t.equal(pool.take(profile({ root: true })), undefined);
  await settle();
  t.equal(launched.length, 0);
});

t.test('stays within its count and its memory budget', async (t) => {
  const counted = setup({ maxContainers: 3 });
  counted.pool.warm([profile(), profile({ image: 'runbox/c:latest' })]);
  await settle();
  t.equal(counted.launched.length, 3);
  const budgeted = setup({ memoryBudgetMb: 600 });
  budgeted.pool.warm([profile(), profile({ image: 'runbox/c:latest' })]);
  await settle();
  t.equal(budgeted.launched.length, 2, '256 MiB each: two fit in 600');
});

t.test('a profile under load keeps as many as runs took in its busiest two seconds, up to the most per profile', async (t) => {
  const { pool } = setup();
  pool.warm([profile()]);
  await settle();
  for (let i = 0; i < 4; i++) pool.take(profile());
  await settle();
  t.equal(pool.sizes()[poolKey(profile())], 4, 'four taken at once: four kept waiting');
  for (let i = 0; i < 10; i++) pool.take(profile());
  await settle();
  t.equal(pool.sizes()[poolKey(profile())], 6, 'never more than maxSize');
});

t.test('a language may have a floor of its own', async (t) => {
  const { pool } = setup({ sizeOf: (p) => (p.image === 'runbox/c:latest' ? 5 : 2) });
  pool.warm([profile(), profile({ image: 'runbox/c:latest' })]);
  await settle();
  t.same(pool.sizes(), { [poolKey(profile())]: 2, [poolKey(profile({ image: 'runbox/c:latest' }))]: 5 });
});

t.test('a waiting sandbox that stopped answering (a daemon restart drops its stream) is discarded, never handed out', async (t) => {
  const { pool, launched } = setup();
  pool.warm([profile()]);
  await settle();
  launched[0].dead = true;
  const taken = pool.take(profile());
  t.equal(taken?.id, 1, 'the live one');
  t.equal(launched[0].discarded, true, 'the dead one removed');
});

t.test('size 0 turns it off', async (t) => {
  const { pool, launched } = setup({ size: 0 });
  pool.warm([profile()]);
  t.equal(pool.take(profile()), undefined);
  await settle();
  t.equal(launched.length, 0);
});

t.test('a launch that fails backs off instead of retrying at once', async (t) => {
  const { pool, launched, failing } = setup();
  failing(true);
  pool.warm([profile()]);
  await settle();
  failing(false);
  pool.take(profile());
  await settle();
  t.equal(launched.length, 0, 'no launch before the back-off is over');
});

t.test('drain discards every waiting sandbox and those still starting', async (t) => {
  const { pool, launched } = setup();
  pool.warm([profile()]);
  await pool.drain();
  t.equal(launched.length, 2);
  t.ok(launched.every((i) => i.discarded));
  t.equal(pool.take(profile()), undefined, 'nothing after a drain');
  t.same(pool.sizes(), {});
});
