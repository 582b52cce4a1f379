import t from 'tap';
import { maskToken } from '../../../src/lib/logger.js';

t.test('an access_token in a logged URL is masked, the rest kept', async (t) => {
  t.equal(maskToken('/runs/1/stream?access_token=secret&from=3'), '/runs/1/stream?access_token=[redacted]&from=3');
  t.equal(maskToken('/runs/1/stream?from=3&ACCESS_TOKEN=secret'), '/runs/1/stream?from=3&ACCESS_TOKEN=[redacted]');
  t.equal(maskToken('/runs/1'), '/runs/1');
});
