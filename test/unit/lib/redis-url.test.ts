// REDIS_URL: one server as ioredis reads it, or a Sentinel set as connection options; a
// cluster or an unknown scheme refused with a message that says what to use.
import t from 'tap';
import { redisTarget } from '../../../src/lib/redis-url.js';

t.test('redis:// and rediss:// go to ioredis as they are', async (t) => {
  t.same(redisTarget('redis://127.0.0.1:6379/2'), { url: 'redis://127.0.0.1:6379/2' });
  t.same(redisTarget('rediss://:pw@redis.example:6380'), { url: 'rediss://:pw@redis.example:6380' });
});

t.test('redis+sentinel:// names the sentinels, the primary, its password and db', async (t) => {
  t.same(redisTarget('redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/runbox/3?sentinelPassword=other'), {
    options: {
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'runbox',
      password: 's3cret',
      db: 3,
      sentinelPassword: 'other',
    },
  });
  t.match(redisTarget('redis+sentinel://app:pw@sentinel:26379/mymaster'), {
    options: { username: 'app', password: 'pw', name: 'mymaster', sentinels: [{ host: 'sentinel', port: 26379 }] },
  });
  t.match(redisTarget('rediss+sentinel://s:26379/m'), { options: { tls: {}, name: 'm' } });
});

t.test('a cluster, a sentinel URL without its primary, or another scheme is refused', async (t) => {
  t.throws(() => redisTarget('redis+cluster://a:7000,b:7001'), {
    name: 'RedisUrlError',
    message: /Redis Cluster is not supported.*Sentinel/,
  });
  t.throws(() => redisTarget('redis+sentinel://a:26379,b:26379'), { message: /primary-name/ });
  t.throws(() => redisTarget('redis+sentinel://a:notaport/m'), { message: /not a sentinel address/ });
  t.throws(() => redisTarget('http://redis:6379'), { message: /must start with redis:\/\// });
});
