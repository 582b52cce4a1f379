import t from 'tap';
import { contentTypeOf, servedInline } from '../../../src/domain/artifacts.js';
import { keptOutputBytes } from '../../../src/domain/run-record.js';

t.test('content types come from the extension, unknown ones are octet-stream', async (t) => {
  t.equal(contentTypeOf('out/plot.PNG'), 'image/png');
  t.equal(contentTypeOf('result.txt'), 'text/plain; charset=utf-8');
  t.equal(contentTypeOf('data.json'), 'application/json');
  t.equal(contentTypeOf('main'), 'application/octet-stream');
  t.equal(contentTypeOf('.png'), 'application/octet-stream', 'a dot file has no extension');
  t.equal(contentTypeOf('a.b/c'), 'application/octet-stream', 'a dot in a folder name is not an extension');
});

t.test('only passive types are served inline; anything that may carry script is a download', async (t) => {
  for (const inline of ['text/plain; charset=utf-8', 'image/png', 'application/json']) t.ok(servedInline(inline), inline);
  for (const download of ['text/html; charset=utf-8', 'image/svg+xml', 'application/xml', 'application/pdf', 'application/octet-stream'])
    t.notOk(servedInline(download), download);
});

t.test("a run's artifacts count in the output it keeps", async (t) => {
  const listing = {
    files: [
      { path: 'a', size: 1000, contentType: 'x' },
      { path: 'b', size: 24, contentType: 'x', test: 1 },
    ],
    omitted: [],
  };
  t.equal(keptOutputBytes({ stdout: 'hi', artifacts: listing }, 0), 4 + 1024);
});
