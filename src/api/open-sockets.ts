// Open WebSockets per API key on this process (WS_MAX_PER_KEY): a socket is counted from
// when it opens until it closes, or until the server starts closing it, so a client that
// opens the next one at once is not refused.
export function createOpenSockets(maxPerKey: number) {
  const open = new Map<string, number>();
  /** Counts a new socket of `key`: whether it is within the limit, and how to stop counting it (once). */
  function enter(key: string): { admitted: boolean; release: () => void } {
    open.set(key, (open.get(key) ?? 0) + 1);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    };
    return { admitted: (open.get(key) ?? 0) <= maxPerKey, release };
  }
  return { enter };
}
