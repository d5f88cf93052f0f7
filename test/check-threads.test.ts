// `check` on worker threads gives the single-threaded report bit for bit (the JSON), calls progress in the
// same order, and ends with the very error a worker raised. Workers run compiled JavaScript, so the sources
// are transpiled into out/ first (vitest itself runs the TypeScript; a worker cannot).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../src/ir/types.js';
import { ROOT } from './helpers/resources.js';

type CheckModule = typeof import('../src/check.js');
type CompileModule = typeof import('../src/compile.js');
type SamplesModule = typeof import('../src/data/samples.js');

const OUT = join(ROOT, 'out', `check-threads-${process.pid}`);
let check: CheckModule, compile: CompileModule, samples: SamplesModule;

function transpileTree(from: string, to: string) {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    if (e.isDirectory()) transpileTree(src, join(to, e.name));
    else if (e.name.endsWith('.ts')) {
      const js = ts.transpileModule(readFileSync(src, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      mkdirSync(to, { recursive: true });
      writeFileSync(join(to, e.name.replace(/\.ts$/, '.js')), js);
    } else {
      mkdirSync(to, { recursive: true });
      copyFileSync(src, join(to, e.name)); // JSON the sources import (schemas)
    }
  }
}

beforeAll(async () => {
  transpileTree(join(ROOT, 'src'), join(OUT, 'src'));
  copyFileSync(join(ROOT, 'package.json'), join(OUT, 'package.json')); // the generated header states bnnc's version
  const load = (p: string) => import(pathToFileURL(join(OUT, 'src', p)).href);
  [check, compile, samples] = await Promise.all([load('check.js'), load('compile.js'), load('data/samples.js')]);
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

function models() {
  const float = compile.loadModel(join(ROOT, 'examples/cnn/cnn.onnx'), {});
  const inputQuant = compile.parseInputQuant('1/255', undefined, 'uint8', undefined);
  const lowered = compile.lowerModel(float, { inputQuant });
  return { float, lowered, inputQuant };
}

/** The lowered model with the thresholds of its last binary layer moved, so that some samples disagree. */
function disagreeing(lowered: Graph): Graph {
  const t = lowered.nodes.filter((n) => n.domain === 'bnnc' && n.op === 'Threshold').at(-1)!;
  const old = lowered.initializers.get(t.inputs[1])!;
  const moved = { ...old, data: old.data.map((v, i) => v + (i % 3) * 7) };
  return { ...lowered, initializers: new Map([...lowered.initializers, [t.inputs[1], moved]]) };
}

describe('check on worker threads', () => {
  it('runs the compiled worker beside the compiled check module', () => {
    expect(check.WORKER_AVAILABLE).toBe(true);
    expect(dirname(new URL(import.meta.url).pathname)).not.toBe(join(OUT, 'src'));
  });

  it('gives the single-threaded report, JSON byte for byte, and the same progress calls, for 1 to 3 workers', async () => {
    const { float, lowered: right, inputQuant } = models();
    const lowered = disagreeing(right);
    // 45 samples: chunks of 16 end unevenly; the moved thresholds make disagreements, to be listed in order
    const source = samples.sampleSource(float, lowered, inputQuant, { random: '45', seed: '7' });
    const progress1: number[] = [];
    const one = JSON.stringify(check.checkModel(float, lowered, source, (d) => progress1.push(d)));
    expect(JSON.parse(one).samples).toBe(45);
    expect(JSON.parse(one).disagreements.length).toBeGreaterThan(2);
    for (const jobs of [2, 3]) {
      const progress: number[] = [];
      const many = JSON.stringify(await check.checkModelThreaded(float, lowered, source, jobs, (d) => progress.push(d)));
      expect(many).toBe(one);
      expect(progress).toEqual(progress1);
    }
    expect(JSON.stringify(await check.checkModelThreaded(float, lowered, source, 2))).toBe(one);
    expect(JSON.stringify(check.checkModel(float, lowered, source))).toBe(one);
  });

  it('ends with the coded error a worker raised, as the single-threaded run does', async () => {
    const { float, lowered, inputQuant } = models();
    const good = [...samples.sampleSource(float, lowered, inputQuant, { random: '40' })];
    // sample 33 has the wrong float input shape: running it raises BNNC_E015 (inside a worker when threaded)
    const bad = good.map((s, i) => (i === 33 ? { ...s, x: { ...s.x, shape: [1, 1, 784] } } : s));
    let single: unknown, threaded: unknown;
    try { check.checkModel(float, lowered, bad); } catch (e) { single = e; }
    try { await check.checkModelThreaded(float, lowered, bad, 2); } catch (e) { threaded = e; }
    const { CompileError } = await import(pathToFileURL(join(OUT, 'src/errors.js')).href) as typeof import('../src/errors.js');
    expect(single).toBeInstanceOf(CompileError);
    expect(threaded).toBeInstanceOf(CompileError);
    expect((threaded as InstanceType<typeof CompileError>).code).toBe('BNNC_E015');
    expect((threaded as Error).message).toBe((single as Error).message);
  });
});
