// One page of a list that goes newest first (sessions, snapshots): `limit` items after the
// cursor, and the cursor of the next page (the last item's creation time and id), or null.

interface Listed {
  createdAt: string;
  id: string;
}

const encode = (item: Listed) => Buffer.from(JSON.stringify([item.createdAt, item.id])).toString('base64url');

function decode(cursor: string): Listed | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    return typeof createdAt === 'string' && typeof id === 'string' ? { createdAt, id } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `item` comes after `cursor` newest first. */
const after = (item: Listed, cursor: Listed) =>
  item.createdAt < cursor.createdAt || (item.createdAt === cursor.createdAt && item.id < cursor.id);

/** A page of `items` (newest first); undefined for a cursor that is not one of ours. */
export function page<T extends Listed>(
  items: readonly T[],
  limit: number,
  cursor?: string,
): { items: T[]; nextCursor: string | null } | undefined {
  const from = cursor === undefined ? undefined : decode(cursor);
  if (cursor !== undefined && !from) return undefined;
  const rest = from ? items.filter((item) => after(item, from)) : [...items];
  const shown = rest.slice(0, limit);
  return { items: shown, nextCursor: rest.length > limit ? encode(shown.at(-1)!) : null };
}
