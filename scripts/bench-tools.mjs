// `npm run bench:tools`: times bnnc itself (not the generated C): `bnnc --version`, a compile of each example,
// and `check` of the example CNN on the 10,000 Fashion-MNIST test images, and writes the figures into the
// tools section of docs/benchmarks.md (between its markers; test/bench/run-bench.ts keeps that section).
// Runs the built CLI (dist/, `npm run build` first). Wall-clock times of child processes, median of a few runs;
// the machine's load average is recorded beside them. BENCH_TOOLS_LIMIT=N checks only the first N images.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/bnnc.js');
const DOC = join(ROOT, 'docs/benchmarks.md');
const DATA = '/usr/share/datasets/fashion-mnist';
export const BEGIN = '<!-- tools:begin (npm run bench:tools) -->';
export const END = '<!-- tools:end -->';

/** Runs `node bin/bnnc.js args`; returns wall seconds and the child's user + system CPU seconds. */
function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bnnc ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: u + s, out: r.stdout };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s2 = (x) => x.toFixed(2);

const rows = [];
const load0 = loadavg()[0];
const version = Array.from({ length: 7 }, () => time(['--version']));
rows.push(['`bnnc --version`', 0.3, median(version.map((r) => r.wall)), median(version.map((r) => r.cpu))]);

for (const [name, extra] of [['cnn', ['--input-scale', '1/255']], ['mlp', ['--input-scale', '1/255']]]) {
  const model = join(ROOT, `examples/${name}/${name}.onnx`);
  if (!existsSync(model)) continue;
  const runs = Array.from({ length: 3 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-bench-tools-'));
    try { return time([model, '-t', 'cortex-m4', '-o', join(dir, 'out'), ...extra]); } finally { rmSync(dir, { recursive: true, force: true }); }
  });
  rows.push([`compile examples/${name} for cortex-m4`, 1, median(runs.map((r) => r.wall)), median(runs.map((r) => r.cpu))]);
}

const images = join(DATA, 't10k-images-idx3-ubyte.gz'), labels = join(DATA, 't10k-labels-idx1-ubyte.gz');
let checkNote = '';
if (existsSync(images)) {
  const limit = process.env.BENCH_TOOLS_LIMIT;
  const args = [join(ROOT, 'examples/cnn/cnn.onnx'), '--input-scale', '1/255', '--data', images, '--labels', labels, '--json', ...(limit ? ['--limit', limit] : [])];
  // BENCH_TOOLS_SERIAL=1 also times one thread (--jobs 1), for the threads' share of the gain
  for (const jobs of process.env.BENCH_TOOLS_SERIAL === '1' ? [availableParallelism(), 1] : [availableParallelism()]) {
    const r = time(['check', ...args, '--jobs', String(jobs)]);
    const rep = JSON.parse(r.out);
    rows.push([`\`check\` examples/cnn, ${rep.samples} Fashion-MNIST images, --jobs ${jobs}`, rep.samples === 10000 && jobs > 1 ? 60 : undefined, r.wall, r.cpu]);
    checkNote = `check: float accuracy ${(100 * rep.float_accuracy).toFixed(2)} %, lowered ${(100 * rep.lowered_accuracy).toFixed(2)} %, agreement ${(100 * rep.agreement).toFixed(2)} %.`;
  }
} else checkNote = `check not timed: ${DATA} is missing.`;

const load1 = loadavg()[0];
const section = [
  BEGIN,
  '## Tool speed',
  '',
  `Written by \`npm run bench:tools\` (scripts/bench-tools.mjs) on ${new Date().toISOString().slice(0, 10)}: wall-clock seconds of the built CLI`,
  `(median of 7 runs for --version, 3 for compile) and the CPU seconds (user + system) it used, on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'};`,
  `load average ${s2(load0)} before, ${s2(load1)} after. Other work on the machine stretches wall times: on an idle machine a`,
  'command takes about its CPU seconds, and `check` about its CPU seconds divided by --jobs.',
  '',
  '| command | goal | wall s | CPU s | gap (wall) |',
  '|---|---|---:|---:|---|',
  ...rows.map(([what, goal, wall, cpu]) => `| ${what} | ${goal === undefined ? '—' : `≤ ${goal} s`} | ${s2(wall)} | ${s2(cpu)} | ${goal === undefined ? '—' : wall <= goal ? 'met' : `+${s2(wall - goal)} s (${s2(wall / goal)}×)`} |`),
  '',
  checkNote,
  '',
  'Why check is where it is: per image the float model does 12.9M float32 multiply-adds, each rounded as',
  'float32 in the order its op states (Math.fround; docs/numerics.md), about 1.4 ns each in V8 once the sums of',
  'different outputs are interleaved (src/ops/Conv.ts): about 20 ms of the image\'s CPU time; the lowered model',
  'and the comparison take most of the rest. Workers split the images over the cores (--jobs).',
  END,
].join('\n');

const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
const at = doc.indexOf(BEGIN), end = doc.indexOf(END);
const next = at >= 0 && end > at ? doc.slice(0, at) + section + doc.slice(end + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(DOC, next);
console.log(section);
