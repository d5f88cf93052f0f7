// The `ts` target: a typed, standalone TypeScript module (built with ts-morph) that embeds the lowered graph's
// constants and runs it with bnnc's reference kernels, for companion apps and JavaScript test suites.
// Standalone by design: the kernels (templates/ts/kernels.ts, a batch-1 restatement of the reference evals
// with precomputed geometry) are copied into the module, only those the model calls and what they reference,
// so the module needs no bnnc at run time and pins the semantics it was compiled with.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Project, SyntaxKind, VariableDeclarationKind, type WriterFunction } from 'ts-morph';
import { fail } from '../errors.js';
import { normAxis, sizeOf } from '../ir/tensor.js';
import type { DType, Graph, Node, Tensor } from '../ir/types.js';
import type { InputQuant } from '../lower/lower.js';
import { wordsFor } from '../numeric/bits.js';
import { resolveWindow } from '../ops/sliding-window.js';

const KERNELS = fileURLToPath(new URL('../../templates/ts/kernels.ts', import.meta.url));

const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
const ARRAY: Partial<Record<DType, string>> = {
  uint8: 'Uint8Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array', int64: 'BigInt64Array',
};
/** Constants up to this many elements are written as numbers; longer ones as little-endian base64. */
const LITERAL_MAX = 64;

export interface TsModel { text: string; constBytes: number }

let kernelDecls: Map<string, { text: string; refs: string[] }> | undefined;

/** The top-level declarations of templates/ts/kernels.ts by name: their text (unexported) and the names they use. */
function kernels(): Map<string, { text: string; refs: string[] }> {
  if (kernelDecls) return kernelDecls;
  const sf = new Project({ useInMemoryFileSystem: true }).createSourceFile('kernels.ts', readFileSync(KERNELS, 'utf8'));
  const decls = [...sf.getFunctions(), ...sf.getInterfaces(), ...sf.getVariableStatements()];
  kernelDecls = new Map();
  for (const d of decls) {
    const name = 'getDeclarations' in d ? d.getDeclarations()[0].getName() : d.getName()!;
    const refs = [...new Set(d.getDescendantsOfKind(SyntaxKind.Identifier).map((i) => i.getText()))];
    kernelDecls.set(name, { text: d.getText(true).replace(/^export /m, ''), refs });
  }
  return kernelDecls;
}

/** The kernel declarations `roots` need, in the kernels file's order. */
function kernelClosure(roots: Iterable<string>): string[] {
  const all = kernels();
  const need = new Set<string>();
  const visit = (n: string): void => {
    if (need.has(n) || !all.has(n)) return;
    need.add(n);
    for (const r of all.get(n)!.refs) visit(r);
  };
  for (const r of roots) visit(r);
  return [...all.keys()].filter((n) => need.has(n)).map((n) => all.get(n)!.text);
}

function ident(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** A float64 holding a float32 (or an integer) as the shortest decimal that reads back to the same value. */
function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function base64Lines(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 100) out.push(s.slice(i, i + 100));
  return `\`\n${out.join('\n')}\``;
}

/** The initializer expression of a constant: a typed-array literal, or base64 decoded at load time. */
function constExpr(t: Tensor): string {
  const arr = ARRAY[t.dtype];
  if (!arr || t.dtype === 'int64') fail('BNNC_E010', `${t.dtype} constants are not supported by the ts back end`);
  const n = t.data.length;
  if (n <= LITERAL_MAX || t.dtype === 'float32') return `${arr}.of(${Array.from(t.data, num).join(', ')})`;
  if (t.dtype === 'int32') {
    const b = new Uint8Array(n * 4), v = new DataView(b.buffer);
    t.data.forEach((x, i) => v.setInt32(4 * i, x, true));
    return `i32(${base64Lines(b)})`;
  }
  if (t.dtype === 'int8') return `i8(${base64Lines(new Uint8Array(Int8Array.from(t.data).buffer))})`;
  return `${arr}.of(${Array.from(t.data, num).join(', ')})`;
}

export function buildTsModule(g: Graph, prefix: string, q?: InputQuant): TsModel {
  if (g.inputs.length !== 1) fail('BNNC_E031', `the ts back end takes one input; the graph has ${g.inputs.length}`);
  const input = g.inputs[0];
  const typeOf = (s: string) => {
    const t = g.types.get(s);
    if (!t) fail('BNNC_E008', 'no static type for this value', { tensor: s });
    return t;
  };
  const arrayOf = (s: string, n?: Node): string => {
    const a = ARRAY[typeOf(s).dtype];
    if (!a) fail('BNNC_E010', `${typeOf(s).dtype} values are not supported by the ts back end yet`, { node: n?.name, tensor: s });
    return a;
  };
  const inArray = arrayOf(input.name);

  const vars = new Map<string, string>([[input.name, 'input']]);
  const consts = new Map<string, string>();
  let constBytes = 0;
  const constRef = (s: string, n: Node): string => {
    const t = g.initializers.get(s);
    if (!t) fail('BNNC_E031', 'this input must be a constant for the ts back end', { node: n.name, op: n.op, tensor: s });
    if (!consts.has(s)) {
      consts.set(s, `K${consts.size}_${ident(s)}`.slice(0, 60));
      constBytes += t.data.byteLength;
    }
    return consts.get(s)!;
  };
  const v = (s: string, n: Node): string => {
    const r = vars.get(s);
    if (!r) fail('BNNC_E031', 'value is not computed by a supported op', { tensor: s, node: n.name });
    return r;
  };
  const used = new Set<string>();
  const body: string[] = [
    `if (input.length !== ${sizeOf(input.type.shape)}) throw new RangeError(\`${prefix}: the input has \${input.length} elements; expected ${sizeOf(input.type.shape)}\`);`,
  ];

  g.nodes.forEach((n, i) => {
    const x = n.inputs[0], xs = typeOf(x).shape;
    if (n.domain === '' && ALIAS_OPS.has(n.op)) {
      vars.set(n.outputs[0], v(x, n));
      return;
    }
    if (n.domain === 'bnnc' && xs[0] !== 1) fail('BNNC_E031', `batch ${xs[0]}: the ts back end takes batch 1`, { node: n.name, op: n.op });
    const y = `v${i}`;
    const win = (inSize: number[], k: readonly number[], ceil = false): string => {
      const w = resolveWindow({ node: n, attrs: { ...n.attrs, auto_pad: 'NOTSET' }, opset: g.opset }, inSize, k, ceil);
      return `{ h: ${w.inSize[0]}, w: ${w.inSize[1]}, oh: ${w.outSize[0]}, ow: ${w.outSize[1]}, kh: ${w.kernel[0]}, kw: ${w.kernel[1]}, `
        + `sh: ${w.strides[0]}, sw: ${w.strides[1]}, dh: ${w.dilations[0]}, dw: ${w.dilations[1]}, pt: ${w.padBegin[0]}, pl: ${w.padBegin[1]} }`;
    };
    const shapes = `${n.inputs.filter((s) => s && !g.initializers.has(s)).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')} -> ${n.outputs.filter((s) => s).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')}`;
    body.push(`// ${n.name} (${n.domain ? `${n.domain}.` : ''}${n.op}): ${shapes}`);
    let call: string, fn: string;
    switch (`${n.domain}.${n.op}`) {
      case 'bnnc.XnorConv': {
        const w = g.initializers.get(n.inputs[1]);
        const [kh, kw] = w ? [w.shape[1], w.shape[2]] : [0, 0];
        fn = 'xnorConv';
        call = `${fn}(${v(x, n)}, ${constRef(n.inputs[1], n)}, ${win([xs[1], xs[2]], [kh, kw])}, ${n.attrs.channels as number}, ${(n.attrs.group as number | undefined) ?? 1}, ${(n.attrs.pad_value as number | undefined) ?? 0})`;
        break;
      }
      case 'bnnc.IntConv': {
        const nchw = n.attrs.layout !== 'NHWC';
        const [, c, h, wd] = nchw ? xs : [xs[0], xs[3], xs[1], xs[2]];
        const w = constRef(n.inputs[1], n), ws = g.initializers.get(n.inputs[1])!.shape;
        fn = 'intConv';
        call = `${fn}(${v(x, n)}, ${w}, ${win([h, wd], [ws[2], ws[3]])}, ${c}, ${(n.attrs.group as number | undefined) ?? 1}, ${(n.attrs.zero_point as number | undefined) ?? 0}, ${nchw})`;
        break;
      }
      case 'bnnc.Threshold': {
        const nhwc = (n.attrs.layout ?? 'NHWC') === 'NHWC';
        const [h, wd] = nhwc ? [xs[1], xs[2]] : [xs[2], xs[3]];
        fn = 'threshold';
        call = `${fn}(${v(x, n)}, ${constRef(n.inputs[1], n)}, ${constRef(n.inputs[2], n)}, ${h}, ${wd}, ${!nhwc})`;
        break;
      }
      case 'bnnc.BinaryMaxPool': case 'bnnc.AccPool': {
        const g2 = win([xs[1], xs[2]], n.attrs.kernel_shape as number[], n.attrs.ceil_mode === 1);
        fn = n.op === 'AccPool' ? 'accPool' : 'binaryMaxPool';
        call = n.op === 'AccPool' ? `${fn}(${v(x, n)}, ${constRef(n.inputs[1], n)}, ${g2})` : `${fn}(${v(x, n)}, ${g2}, ${wordsFor(n.attrs.channels as number)})`;
        break;
      }
      case 'bnnc.Epilogue': {
        const nchw = (n.attrs.layout ?? 'NCHW') === 'NCHW' && (n.attrs.rank ?? 4) !== 2;
        fn = 'epilogue';
        call = `${fn}(${v(x, n)}, ${constRef(n.inputs[1], n)}, ${constRef(n.inputs[2], n)}, ${nchw})`;
        break;
      }
      case '.ArgMax': case '.TopK': case '.Softmax': case '.LogSoftmax': {
        const rank = xs.length;
        const soft = n.op.endsWith('Softmax'), legacy = soft && g.opset < 13;
        const given = (n.attrs.axis as number | undefined) ?? (n.op === 'ArgMax' ? 0 : legacy ? 1 : -1);
        const axis = normAxis(given, rank);
        if (axis === undefined) fail('BNNC_E006', `axis ${given} is out of range for rank ${rank}`, { node: n.name, op: n.op });
        const outer = sizeOf(xs.slice(0, axis));
        const [len, inner] = legacy ? [sizeOf(xs.slice(axis)), 1] : [xs[axis], sizeOf(xs.slice(axis + 1))];
        if (n.op !== 'ArgMax' && typeOf(x).dtype !== 'float32') fail('BNNC_E031', `${n.op} on ${typeOf(x).dtype} is not supported by the ts back end yet`, { node: n.name, op: n.op });
        if (n.op === 'ArgMax') {
          fn = 'argMax';
          call = `${fn}(${v(x, n)}, ${outer}, ${len}, ${inner}, ${Boolean(n.attrs.select_last_index)})`;
        } else if (soft) {
          fn = 'softmax';
          call = `${fn}(${v(x, n)}, ${outer}, ${len}, ${inner}, ${n.op === 'LogSoftmax'})`;
        } else {
          const k = typeOf(n.outputs[0] || n.outputs[1]).shape[axis];
          fn = 'topK';
          call = `${fn}(${v(x, n)}, ${outer}, ${len}, ${inner}, ${k}, ${n.attrs.largest !== 0})`;
        }
        break;
      }
      default:
        fail('BNNC_E031', `${n.op} is not supported by the ts back end yet`, { node: n.name, op: n.op });
    }
    used.add(fn);
    if (n.op === 'TopK') {
      const read = (o: string) => o !== '' && (g.outputs.includes(o) || g.nodes.some((m) => m.inputs.includes(o)));
      body.push(`const [${read(n.outputs[0]) ? `${y}_values` : ''}, ${read(n.outputs[1]) ? `${y}_indices` : ''}] = ${call};`);
      if (n.outputs[0]) vars.set(n.outputs[0], `${y}_values`);
      if (n.outputs[1]) vars.set(n.outputs[1], `${y}_indices`);
    } else {
      body.push(`const ${y} = ${call};`);
      vars.set(n.outputs[0], y);
    }
  });

  const project = new Project({ useInMemoryFileSystem: true });
  const sf = project.createSourceFile(`${prefix}.ts`, '');
  const formula = q ? `the model's float input x = (q - ${q.zeroPoint}) * ${q.divisor === 1 ? q.scale : `${q.scale} / ${q.divisor}`}` : 'the model takes these integers as they are';
  sf.addStatements([
    `// ${prefix}.ts: generated by bnnc from graph ${JSON.stringify(g.name)} (target ts). Do not edit.`,
    '// Standalone: the kernels at the end are bnnc\'s reference evaluations (integers exact, float32 by',
    '// Math.fround), so run() equals the reference interpreter bit for bit. Input: row-major, batch 1;',
    `// input quantization: ${formula}.`,
  ].join('\n'));
  const exportConst = (name: string, init: string, docs: string, type?: string) => sf.addVariableStatement({
    isExported: true, declarationKind: VariableDeclarationKind.Const, docs: [docs], declarations: [{ name, type, initializer: init }],
  });
  exportConst('INPUT_NAME', JSON.stringify(input.name), 'The graph input\'s name.');
  exportConst('INPUT_DTYPE', JSON.stringify(input.type.dtype), 'Its element type.');
  exportConst('INPUT_SHAPE', `[${input.type.shape.join(', ')}]`, 'Its shape.', 'readonly number[]');
  exportConst('OUTPUT_NAMES', `[${g.outputs.map((o) => JSON.stringify(o)).join(', ')}]`, 'The graph outputs, in order.', 'readonly (keyof Outputs)[]');
  exportConst('OUTPUT_SHAPES', `{ ${g.outputs.map((o) => `${JSON.stringify(o)}: [${typeOf(o).shape.join(', ')}]`).join(', ')} }`, 'Their shapes.', 'Readonly<Record<keyof Outputs, readonly number[]>>');
  sf.addInterface({
    name: 'Outputs', isExported: true, docs: ['The outputs of one run, by graph output name (row-major; int64 as BigInt64Array).'],
    properties: g.outputs.map((o) => ({ name: JSON.stringify(o), type: arrayOf(o) })),
  });
  for (const [s, name] of consts) {
    const t = g.initializers.get(s)!;
    const init = constExpr(t);
    if (/^i(32|8)\(/.test(init)) used.add(init.slice(0, init.indexOf('(')));
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const, leadingTrivia: `// ${s}: ${t.dtype}[${t.shape.join(',')}]\n`,
      declarations: [{ name, initializer: init }],
    });
  }
  const statements: WriterFunction = (w) => {
    for (const line of body) w.writeLine(line);
    w.writeLine(`return { ${g.outputs.map((o) => `${JSON.stringify(o)}: ${vars.get(o)}`).join(', ')} };`);
  };
  sf.addFunction({
    name: 'run', isExported: true, docs: ['Runs the network on one input (row-major, batch 1). Each call returns fresh arrays.'],
    parameters: [{ name: 'input', type: inArray }], returnType: 'Outputs', statements,
  });
  sf.addStatements(['// ---- kernels (bnnc templates/ts/kernels.ts) ----', ...kernelClosure(used)]);
  return { text: sf.getFullText(), constBytes };
}

/** The ts target's files: `<prefix>.ts`. */
export function emitTs(g: Graph, prefix: string, q?: InputQuant): Map<string, string> {
  return new Map([[`${ident(prefix)}.ts`, buildTsModule(g, ident(prefix), q).text]]);
}
