// The record codec: plain fields as Redis and Lua see them, null as an absent field, JSON
// only for objects and arrays, and a stored hash that does not decode to a valid record refused.
import t from 'tap';
import { RunRecordSchema, type RunRecord } from '../../../src/domain/run-record.js';
import { createHashCodec, fieldKind, StoredRecordError } from '../../../src/store/hash-codec.js';
import { Type } from '@sinclair/typebox';

const codec = createHashCodec(RunRecordSchema);

const record: RunRecord = {
  id: 'r1',
  language: 'python',
  status: 'completed',
  verdict: 'ok',
  createdAt: '2026-12-01T00:00:00.000Z',
  startedAt: '2026-12-01T00:00:01.000Z',
  finishedAt: null,
  exitCode: 0,
  signal: null,
  timeMs: 12,
  cpuTimeMs: null,
  memoryBytes: 8101888,
  stdout: 'hi\n',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: true,
  compile: null,
  limits: { timeMs: 5000, cpuTimeMs: 5000, memoryMb: 256, cpus: 0.5, pids: 64, outputBytes: 65536, diskMb: 64 },
  interactive: false,
};

t.test('scalars are stored plain, null fields are left out, objects are JSON', async (t) => {
  const hash = codec.encode(record);
  t.equal(hash.status, 'completed', 'a string as itself, no quotes');
  t.equal(hash.exitCode, '0');
  t.equal(hash.memoryBytes, '8101888');
  t.equal(hash.stderrTruncated, 'true');
  t.equal(hash.stdout, 'hi\n');
  t.equal(hash.stderr, '', 'an empty string is a value, not null');
  t.notOk('finishedAt' in hash, 'null: no field');
  t.notOk('compile' in hash);
  t.same(JSON.parse(hash.limits), record.limits, 'an object as JSON');
});

t.test('what is encoded decodes to the same record', async (t) => {
  t.same(codec.decode(codec.encode(record)), record);
  const judged: RunRecord = {
    ...record,
    verdict: 'wrong_answer',
    compile: { exitCode: 0, stdout: '', stderr: 'warning', timeMs: 300 },
    tests: [
      {
        name: 'test-1',
        verdict: 'wrong_answer',
        exitCode: 0,
        signal: null,
        timeMs: 3,
        cpuTimeMs: 2,
        memoryBytes: null,
        stdout: '4',
        stderr: '',
        stdoutTruncated: false,
        stderrTruncated: false,
      },
    ],
    webhook: 'https://example.test/hook',
  };
  t.same(codec.decode(codec.encode(judged)), judged);
});

t.test('fields of other writers (owner, counters) are ignored; an empty hash is no record', async (t) => {
  t.same(codec.decode({ ...codec.encode(record), owner: 'alice', stdinbytes: '12' }), record);
  t.equal(codec.decode({}), undefined);
});

t.test('a stored hash that is not a valid record is refused, naming the field', async (t) => {
  const hash = codec.encode(record);
  t.throws(() => codec.decode({ ...hash, status: 'exploded' }), StoredRecordError);
  t.throws(() => codec.decode({ ...hash, exitCode: 'zero' }), /exitCode/);
  t.throws(() => codec.decode({ ...hash, limits: '{not json' }), /limits is not JSON/);
  t.throws(() => codec.decode({ ...hash, stdoutTruncated: 'yes' }), /stdoutTruncated/);
  t.throws(() => codec.decode({ ...hash, createdAt: 'yesterday' }), /createdAt/, 'a timestamp that is not ISO 8601');
  const { language: _, ...withoutLanguage } = hash;
  t.throws(() => codec.decode(withoutLanguage), /language/, 'a required field missing');
  t.throws(() => codec.decodeField('limits', '{"timeMs":"5"}'), /limits does not match/);
  t.equal(codec.decodeField('limits', hash.limits).outputBytes, 65536);
});

t.test('how each kind of property is stored', async (t) => {
  t.equal(fieldKind(Type.Union([Type.Literal('a'), Type.Literal('b'), Type.Null()])), 'string');
  t.equal(fieldKind(Type.Union([Type.Integer(), Type.Null()])), 'number');
  t.equal(fieldKind(Type.Literal(true)), 'boolean');
  t.equal(fieldKind(Type.Union([Type.String(), Type.Integer()])), 'json', 'mixed kinds: JSON, so a "1" stays a string');
  t.equal(fieldKind(Type.Array(Type.String())), 'json');
  t.throws(() => codec.encodeValue('nonsense' as never, 1), /not a field/);
});
