// REDIS_URL as ioredis takes it. One server: redis://[[user]:password@]host:port[/db] (or
// rediss:// for TLS). A Sentinel set, which hands out the current primary and a new one after
// a failover:
//   redis+sentinel://[[user]:password@]host:port[,host:port...]/primary-name[/db][?sentinelPassword=...]
// (rediss+sentinel:// for TLS to the primary). The password is the primary's; the sentinels'
// own goes in sentinelPassword. Redis Cluster is refused: see docs/deployment.md.
import type { RedisOptions } from 'ioredis';

export type RedisTarget = { url: string } | { options: RedisOptions };

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

export const CLUSTER_REFUSED =
  'Redis Cluster is not supported: runbox keeps a run and its key-wide ledgers in one Lua step each, which a cluster refuses across slots; use one primary with replicas and Sentinel (redis+sentinel://)';

export function redisTarget(url: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') return { url };
  if (scheme === 'redis+cluster' || scheme === 'rediss+cluster') throw new RedisUrlError(CLUSTER_REFUSED);
  if (scheme !== 'redis+sentinel' && scheme !== 'rediss+sentinel') {
    throw new RedisUrlError(`REDIS_URL must start with redis://, rediss:// or redis+sentinel://; got "${scheme ?? url}"`);
  }
  // The host list has commas, which URL does not parse as a host: it is read apart.
  const match = /^[a-z+]+:\/\/(?:([^@/]*)@)?([^/?]+)\/([^/?]+)(?:\/(\d+))?\/?(?:\?(.*))?$/i.exec(url);
  if (!match) throw new RedisUrlError('a Sentinel REDIS_URL is redis+sentinel://[:password@]host:port[,host:port...]/primary-name[/db]');
  const [, auth, hosts, name, db, query] = match;
  const sentinels = hosts.split(',').map((entry) => {
    const at = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim());
    if (!at) throw new RedisUrlError(`not a sentinel address: "${entry}"`);
    return { host: at[1].replace(/^\[|\]$/g, ''), port: Number(at[2] ?? 26379) };
  });
  const [username, password] = auth ? auth.split(':').map(decodeURIComponent) : [];
  const params = new URLSearchParams(query ?? '');
  return {
    options: {
      sentinels,
      name: decodeURIComponent(name),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(db ? { db: Number(db) } : {}),
      ...(params.get('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword')! } : {}),
      ...(scheme === 'rediss+sentinel' ? { tls: {}, enableTLSForSentinelMode: params.get('sentinelTls') === 'true' } : {}),
      // No failoverDetector: its disconnect on the sentinels' +switch-master, when it lands while
      // a connection is between reconnect attempts asking a sentinel for the primary, ends that
      // connection for good (ioredis 5-6: the connect promise rejects "Connection is closed" and
      // the status goes to `end`, never retried). A connection to a primary that failed or was
      // demoted is closed by it (Redis drops its clients on a role change), and each attempt
      // after that asks the sentinels anew, which is how a failover is followed without it.
    },
  };
}
