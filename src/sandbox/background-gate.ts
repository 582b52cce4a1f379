// Background work (filling the warm pool, removing used sandboxes) competes with the runs for
// the same CPUs and the same Docker daemon. It waits while runs are under way and goes once
// none has been for `quietMs`, or `maxDelayMs` after it was first held at the latest, so runs
// get the machine first and the background is never starved under a steady load.

export interface BackgroundGateOptions {
  quietMs: number;
  maxDelayMs: number;
  now?: () => number;
}

export function createBackgroundGate({ quietMs, maxDelayMs, now = Date.now }: BackgroundGateOptions) {
  let active = 0;
  let lastEndAt = -Infinity;
  let heldSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Set<() => void>();
  const quiet = (at: number) => active === 0 && at - lastEndAt >= quietMs;

  const release = () => {
    timer = undefined;
    const at = now();
    if (!quiet(at) && heldSince !== undefined && at - heldSince < maxDelayMs) {
      const untilQuiet = active === 0 ? quietMs - (at - lastEndAt) : quietMs;
      timer = setTimeout(release, Math.max(1, Math.min(untilQuiet, maxDelayMs - (at - heldSince))));
      timer.unref();
      return;
    }
    heldSince = undefined;
    const work = [...waiting];
    waiting.clear();
    for (const fn of work) fn();
  };

  return {
    /** A run is under way from now; `end` once it is done. */
    runStarted(): () => void {
      active++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        active--;
        lastEndAt = now();
      };
    },
    /** Calls `fn` once the gate opens: at once when no run is under way or ended lately. The same function waits once. */
    whenQuiet(fn: () => void): void {
      if (quiet(now()) && waiting.size === 0) return fn();
      waiting.add(fn);
      heldSince ??= now();
      timer ??= setTimeout(release, 0);
    },
  };
}
export type BackgroundGate = ReturnType<typeof createBackgroundGate>;
