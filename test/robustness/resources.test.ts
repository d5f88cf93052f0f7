// Bounded resources (issue #16): pass-through nodes by the hundred thousand, sample counts capped and made
// lazily (counted, not timed), data files that are devices, pipes, folders, too big, shorter or longer than
// their header says, or shaped otherwise than the model input; labels the model cannot name; empty data.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as check from '../../src/check.js';
import { checkModel, outputClasses } from '../../src/check.js';
import { main } from '../../src/cli.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { MAX_DATA_BYTES, readData } from '../../src/data/datasets.js';
import { MAX_SAMPLES, rawInputs, sampleSource, type SampleFlags } from '../../src/data/samples.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { emitC, loadTarget } from '../../src/backend/index.js';
import { buildModel } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { expectError } from './expect-error.js';
import { idxBytes, tinyBnn } from './tiny-bnn.js';

// samples.ts makes each sample through sampleFromRaw: counting its calls counts the samples made
vi.mock('../../src/check.js', async (original) => {
  const m = await original<typeof import('../../src/check.js')>();
  return { ...m, sampleFromRaw: vi.fn(m.sampleFromRaw) };
});
const made = vi.mocked(check.sampleFromRaw);
beforeEach(() => { made.mockClear(); });

const dir = mkdtempSync(join(tmpdir(), 'bnnc-resources-'));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const Q: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'bnnc', ...args], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

/** The float and lowered graphs of the tiny BNN with an input of `shape`. */
function models(shape?: number[]) {
  const float = loadModel(file(`bnn-${shape ?? 'flat'}.onnx`, tinyBnn({ inputShape: shape })));
  return { float, lowered: lowerModel(float, { inputQuant: Q }) };
}
const flat = models();
const image = models([1, 1, 4, 4]);
const source = (o: SampleFlags, m = flat) => sampleSource(m.float, m.lowered, Q, o);

describe('Identity and Dropout nodes by the hundred thousand', () => {
  it.each([50, 100_000])('%i of them: loaded with remove-identity changing the graph once, lowered and emitted', (n) => {
    const changes = new Map<string, number>();
    const after = (pass: string) => changes.set(pass, (changes.get(pass) ?? 0) + 1);
    const float = loadModel(file(`pass-through-${n}.onnx`, tinyBnn({ passThrough: n })), { after });
    expect(changes.get('remove-identity')).toBe(1);
    expect(float.nodes.filter((x) => x.op === 'Identity' || x.op === 'Dropout')).toEqual([]);
    const lowered = lowerModel(float, { inputQuant: Q, after });
    expect(lowered.nodes.map((x) => x.op)).toEqual(flat.lowered.nodes.map((x) => x.op));
    expect(checkModel(float, lowered, source({ random: '20' }, { float, lowered })).agreement).toBe(1);
    expect(emitC(lowered, loadTarget('host')).get('bnn_model.c')).toContain('bnn_model_run');
  });
});

describe('sample counts', () => {
  it('--random and --limit are capped at MAX_SAMPLES (BNNC_E019), 1e9 included', () => {
    expect(MAX_SAMPLES).toBe(1_000_000);
    for (const random of [`${MAX_SAMPLES + 1}`, '1e9']) expectError(() => source({ random }), 'BNNC_E019', `--random '${random}'`, 'from 1 to 1000000');
    expectError(() => source({ random: '5', limit: `${MAX_SAMPLES + 1}` }), 'BNNC_E019', '--limit', 'from 1 to 1000000');
    expect(source({ random: `${MAX_SAMPLES}` }).count).toBe(MAX_SAMPLES);
    expect(source({ random: '50', limit: '7' }).count).toBe(7);
  });

  it('samples are made as they are consumed: none when the source is made, as many as are taken', () => {
    const s = source({ random: `${MAX_SAMPLES}` });
    const inputs = rawInputs(s);
    expect(made).toHaveBeenCalledTimes(0);
    const firstFive = [];
    for (const q of inputs) {
      firstFive.push(Array.from(q.data));
      if (firstFive.length === 5) break;
    }
    expect(made).toHaveBeenCalledTimes(5);
    // the same seeded stream as a source of 5
    expect([...rawInputs(source({ random: '5' }))].map((q) => Array.from(q.data))).toEqual(firstFive);
    expect(inputs.count).toBe(MAX_SAMPLES);
  });

  it('check consumes one sample at a time: the source is never collected', () => {
    let highWater = 0;
    checkModel(flat.float, flat.lowered, source({ random: '30' }), (done) => { highWater = Math.max(highWater, made.mock.calls.length - done); });
    expect(made).toHaveBeenCalledTimes(30);
    expect(highWater).toBe(0); // never more samples made than checked
  });

  it.each(['check', 'verify'])('%s on the command line refuses --random 1e9 with a code (exit 2), before making any', async (cmd) => {
    const r = await cli(cmd, file('cli.onnx', tinyBnn()), ...(cmd === 'verify' ? ['-t', 'host'] : []), '--input-scale', '1/255', '--random', '1e9');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BNNC_E019.*--random '1e9'.*1000000/);
    expect(made).toHaveBeenCalledTimes(0);
  });
});

describe('data files that are not regular files, or too big', () => {
  it('/dev/zero, a folder and a named pipe are refused before reading (BNNC_E020)', async () => {
    expectError(() => readData('/dev/zero'), 'BNNC_E020', "'/dev/zero' is not a regular file");
    expectError(() => readData(dir), 'BNNC_E020', 'is not a regular file');
    const r = await cli('check', file('dev.onnx', tinyBnn()), '--input-scale', '1/255', '--data', '/dev/zero', '--limit', '2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BNNC_E020.*'\/dev\/zero' is not a regular file/);
    if (hasTool('mkfifo')) {
      const fifo = join(dir, 'pipe.idx');
      execFileSync('mkfifo', [fifo]);
      expectError(() => readData(fifo), 'BNNC_E020', 'is not a regular file'); // a blocking open would hang here
    }
  });

  it('a file over MAX_DATA_BYTES is refused from its size (a sparse file: nothing is read)', () => {
    const big = file('big.idx', '');
    truncateSync(big, MAX_DATA_BYTES + 1);
    expectError(() => readData(big), 'BNNC_E020', `is ${MAX_DATA_BYTES + 1} bytes`, `at most ${MAX_DATA_BYTES} bytes`);
  });

  it('gzip output is capped as well: a small file that inflates beyond the limit is refused', () => {
    const bomb = file('bomb.idx.gz', gzipSync(idxBytes(0x08, [4096, 16], new Array(4096 * 16).fill(0))));
    expectError(() => readData(bomb, { maxBytes: 16_384 }), 'BNNC_E020', 'decompresses to more than 16384 bytes');
    expect(readData(bomb).shape).toEqual([4096, 16]);
    expectError(() => readData(file('cut.idx.gz', gzipSync(idxBytes(0x08, [2, 16], new Array(32).fill(1))).subarray(0, 20))), 'BNNC_E020', "looks gzip'ed but does not decompress");
  });

  it('a header whose shape needs more or fewer bytes than the file holds (idx, .npy), a missing file', () => {
    const short = idxBytes(0x08, [1000, 16], new Array(16).fill(0)).subarray(0, 12 + 16);
    expectError(() => readData(file('short.idx', short)), 'BNNC_E020', 'holds 16 data bytes; shape [1000,16] of uint8 needs 16000');
    const long = Buffer.concat([idxBytes(0x08, [1, 16], new Array(16).fill(0)), Buffer.alloc(5)]);
    expectError(() => readData(file('long.idx', long)), 'BNNC_E020', 'holds 21 data bytes');
    const hugeDims = idxBytes(0x08, [65535, 65535, 65535], []);
    expectError(() => readData(file('dims.idx', hugeDims)), 'BNNC_E020', 'holds 0 data bytes');
    const npy = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0xff, 0xff]), Buffer.from("{'descr': '|u1'")]);
    expectError(() => readData(file('cut.npy', npy)), 'BNNC_E020', 'a .npy header of 65535 bytes in a file of 25');
    expectError(() => readData(join(dir, 'missing.idx')), 'BNNC_E020', 'ENOENT');
  });
});

describe('data against the model input', () => {
  const values = (n: number) => Array.from({ length: n }, (_, i) => (i * 37) % 256);

  it('a stack of samples of the input shape, dimensions of 1 aside; a flat input takes any layout of its values', () => {
    const counts = (m: typeof flat, shapes: number[][]) => shapes.map((s) => source({ data: file(`ok-${m === flat}-${s.join('x')}.idx`, idxBytes(0x08, s, values(s.reduce((a, b) => a * b, 1)))) }, m).count);
    expect(counts(flat, [[5, 16], [5, 4, 4], [5, 1, 16], [16], [1, 16]])).toEqual([5, 5, 5, 1, 1]);
    expect(counts(image, [[5, 4, 4], [5, 1, 4, 4], [5, 1, 1, 4, 4], [4, 4], [1, 1, 4, 4]])).toEqual([5, 5, 5, 1, 1]);
  });

  it('an idx of 16×2×2 is not 4 samples of 16 values, nor [5,16] images of 4×4 (BNNC_E050)', () => {
    expectError(() => source({ data: file('wrong.idx', idxBytes(0x08, [16, 2, 2], values(64))) }), 'BNNC_E050', 'has shape [16,2,2]', 'model input [1,16]');
    expectError(() => source({ data: file('flat-for-image.idx', idxBytes(0x08, [5, 16], values(80))) }, image), 'BNNC_E050', 'has shape [5,16]', '[1,1,4,4]');
    expectError(() => source({ data: file('2x8.idx', idxBytes(0x08, [5, 2, 8], values(80))) }, image), 'BNNC_E050', 'has shape [5,2,8]');
  });

  it('empty data (BNNC_E051); check of no samples at all (BNNC_E051) rather than an agreement of 100 %', () => {
    expectError(() => source({ data: file('empty.idx', idxBytes(0x08, [0, 16], [])) }), 'BNNC_E051', 'holds no samples');
    expectError(() => checkModel(flat.float, flat.lowered, []), 'BNNC_E051', 'no samples');
  });

  it('values that are not raw integers of the input type (BNNC_E050)', () => {
    for (const [bad, shown] of [[300, '300'], [0.5, '0.5'], [-1, '-1']]) {
      const v = values(32);
      v[21] = bad as number;
      expectError(() => source({ data: file(`raw-${shown}.idx`, idxBytes(0x0d, [2, 16], v)) }), 'BNNC_E050', 'sample 1', `holds ${shown}, not a raw uint8 value`);
    }
  });

  it('labels: one integer per sample, each a class the model output names (BNNC_E050, BNNC_E051)', () => {
    const data = file('four.idx', idxBytes(0x08, [4, 16], values(64)));
    const labels = (name: string, type: 0x08 | 0x09 | 0x0d, v: number[]) => file(name, idxBytes(type, [v.length], v));
    expect(outputClasses(flat.float)).toBe(4);
    expect(source({ data, labels: labels('ok.idx', 0x08, [0, 1, 2, 3]) }).count).toBe(4);
    expectError(() => source({ data, labels: labels('four-classes.idx', 0x08, [0, 1, 4, 3]) }), 'BNNC_E050', 'label 2', 'is 4', 'from 0 to 3', 'names 4 classes');
    expectError(() => source({ data, labels: labels('negative.idx', 0x09, [0, -1, 1, 1]) }), 'BNNC_E050', 'label 1', 'is -1');
    expectError(() => source({ data, labels: labels('half.idx', 0x0d, [0, 1, 1.5, 1]) }), 'BNNC_E050', 'label 2', 'is 1.5');
    expectError(() => source({ data, labels: labels('three.idx', 0x08, [0, 1, 2]) }), 'BNNC_E050', '3 labels for 4 samples');
    expectError(() => source({ data, labels: labels('none.idx', 0x08, []) }), 'BNNC_E051', 'holds no labels');
    expectError(() => source({ random: '3', labels: labels('ok2.idx', 0x08, [0, 1, 2]) }), 'BNNC_E019', '--labels needs --data');
    // labels past --limit are read but not used, so not judged
    expect(source({ data, limit: '2', labels: labels('late.idx', 0x08, [0, 1, 9, 9]) }).count).toBe(2);
  });

  it('an ArgMax output names as many classes as its axis is long', () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 6] }],
      outputs: [{ name: 'k', dtype: 'int64' }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'ArgMax', inputs: ['r'], outputs: ['k'], attrs: { axis: -1, keepdims: 0 } }],
    });
    expect(outputClasses(loadModel(file('argmax.onnx', bytes)))).toBe(6);
  });
});
