// One direction of an interaction: bytes in order, the end after what is held, a bound.
import t from 'tap';
import { BytePipe } from '../../../src/worker/byte-pipe.js';

t.test('gives the bytes in order as they come, and ends after what it holds', async (t) => {
  const pipe = new BytePipe(100);
  const read = (async () => {
    const got: string[] = [];
    for await (const chunk of pipe) got.push(chunk.toString());
    return got;
  })();
  pipe.push(Buffer.from('? 1\n'));
  await new Promise((resolve) => setImmediate(resolve));
  pipe.push(Buffer.from('? 2\n'));
  pipe.end();
  pipe.push(Buffer.from('after the end'));
  t.same(await read, ['? 1\n', '? 2\n']);
});

t.test('holds at most its capacity; what would pass it is dropped and said', async (t) => {
  const pipe = new BytePipe(5);
  pipe.push(Buffer.from('abc'));
  pipe.push(Buffer.from('def'));
  t.equal(pipe.overflowed, true);
  pipe.end();
  const got: string[] = [];
  for await (const chunk of pipe) got.push(chunk.toString());
  t.same(got, ['abc']);
});
