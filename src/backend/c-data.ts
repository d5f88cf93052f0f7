// The C lowering data: from a lowered graph to the plain numbers the templates lay out. Every stride, word
// count, loop bound, tail mask and constant array is computed here; the templates only print them.
// Arena: one static buffer; every non-alias value gets an offset, first fit over lifetimes [def, last use]
// (the best of three placement orders).
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { DType, Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { popcount32, tailMask, wordsFor } from '../numeric/bits.js';
import { resolveWindow } from '../ops/sliding-window.js';
import { constArray, CTYPE_BYTES, type ConstArray, type CType } from './c-literals.js';
import type { Target } from './target.js';

export { CTYPE_BYTES, type ConstArray } from './c-literals.js';

/** Ops that only relabel the shape of row-major data: their output shares the input's buffer. */
const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

const CTYPE: Partial<Record<DType, string>> = {
  uint8: 'uint8_t', int8: 'int8_t', int32: 'int32_t', float32: 'float', int64: 'int64_t',
};
const BYTES: Partial<Record<DType, number>> = { uint8: 1, int8: 1, int32: 4, float32: 4, int64: 8 };

/**
 * One layer of the generated C: its template (`partial`), function, call and comment, the name prefix of its
 * constant arrays (`cn`), those arrays by role (`arrays`: numbers, for the kernel generators), and the
 * numbers its template lays out.
 */
export interface Layer { partial: string; fn: string; comment: string; call: string; cn: string; arrays: Record<string, ConstArray>; [k: string]: unknown }
/** One output of a layer as a debug build writes it: the lowered node and tensor, its C buffer and size. */
export interface LayerDump { node: string; tensor: string; ptr: string; bytes: number }
export interface IoInfo { name: string; /** the name as C comments may show it */ label: string; cname: string; ctype: string; shape: string; count: number; bytes: number; macro: string }
export interface CModel {
  prefix: string;
  PREFIX: string;
  graphName: string;
  input: IoInfo;
  outputs: IoInfo[];
  outParams: string;
  arenaBytes: number;
  /** The most bytes of arena values (packed activations, sums, outputs) live at once: no arena is smaller. */
  arenaLowerBound: number;
  arenaWords: number;
  consts: ConstArray[];
  layers: Layer[];
  copies: { dst: string; src: string; count: number }[];
  constBytes: number;
  macs: number;
  popcountPartial: string;
  target: Target;
}

/**
 * Text from the model (node, tensor and graph names) as it may appear inside a C comment or string: printable
 * ASCII only, no comment delimiters, no backslash (line splicing), no '?' (C99 trigraphs such as ??/), no quote.
 */
export function cText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').replace(/[\\?"]/g, '_').replace(/\*\//g, '*_').replace(/\/\*/g, '_*').replace(/\/\//g, '_/');
}

function cIdent(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/**
 * The bit count of packed word q of n channels in `words` words: a plain constant unless the last word is
 * partial and there are several words (no `q == 0 ? 32 : 32` for cppcheck to fold).
 */
function wordBits(n: number, words: number): string {
  const last = n - 32 * (words - 1);
  return words === 1 || last === 32 ? String(last) : `q == ${words - 1} ? ${last} : 32`;
}

/**
 * The C test that window coordinate `v` = o·stride − pad + k·dilation (o < out, k < kernel) leaves [0, size),
 * with only the sides some window crosses; '' when none does (no padding and the last window inside).
 */
function outside(v: string, pad: number, out: number, stride: number, kernel: number, dilation: number, size: number): string {
  const low = pad > 0 ? `${v} < 0` : '';
  const high = (out - 1) * stride - pad + (kernel - 1) * dilation >= size ? `${v} >= ${size}` : '';
  return [low, high].filter((t) => t !== '').join(' || ');
}

/**
 * A group-1 XnorConv or IntConv whose sums feed one NHWC Threshold and nothing else becomes one node
 * (op + 'Threshold', inputs [x, w, T, K]) at the conv's place: its sums are packed as they are made and never
 * stored, which cuts the arena by the largest tensors (a first layer's int32 map is 32× its packed form).
 * Likewise conv → AccPool → Threshold, each feeding only the next, becomes op + 'PoolThreshold' (inputs
 * [x, w, T, K, D]; the AccPool node kept in `pools` for its window): for each pooled pixel the sums of its
 * window are made, pooled per channel by D, thresholded and packed, so neither int32 map reaches memory.
 */
function fuseThresholds(g: Graph): { nodes: Node[]; pools: Map<Node, Node> } {
  const uses = new Map<string, Node[]>();
  for (const n of g.nodes) for (const s of n.inputs) uses.set(s, [...(uses.get(s) ?? []), n]);
  /** The one node reading s (as its first input), when s is not a graph output and nothing else reads it. */
  const only = (s: string, op: string): Node | undefined => {
    const u = uses.get(s) ?? [];
    const t = u[0];
    return u.length === 1 && t.domain === 'bnnc' && t.op === op && t.inputs[0] === s && !g.outputs.includes(s) ? t : undefined;
  };
  const gone = new Set<Node>();
  const out: Node[] = [];
  const pools = new Map<Node, Node>();
  for (const n of g.nodes) {
    if (gone.has(n)) continue;
    const conv = n.domain === 'bnnc' && (n.op === 'XnorConv' || n.op === 'IntConv') && ((n.attrs.group as number | undefined) ?? 1) === 1;
    const nhwc = (t: Node | undefined) => t && (t.attrs.layout ?? 'NHWC') === 'NHWC' ? t : undefined;
    const t = conv ? nhwc(only(n.outputs[0], 'Threshold')) : undefined;
    const p = conv && !t ? only(n.outputs[0], 'AccPool') : undefined;
    const pt = p ? nhwc(only(p.outputs[0], 'Threshold')) : undefined;
    if (t) {
      gone.add(t);
      out.push({ ...n, name: n.name, op: `${n.op}Threshold`, inputs: [n.inputs[0], n.inputs[1], t.inputs[1], t.inputs[2]], outputs: t.outputs, attrs: { ...n.attrs, threshold_node: t.name } });
    } else if (p && pt) {
      gone.add(p).add(pt);
      const f: Node = { ...n, name: n.name, op: `${n.op}PoolThreshold`, inputs: [n.inputs[0], n.inputs[1], pt.inputs[1], pt.inputs[2], p.inputs[1]], outputs: pt.outputs, attrs: { ...n.attrs, pool_node: p.name, threshold_node: pt.name } };
      pools.set(f, p);
      out.push(f);
    } else {
      out.push(n);
    }
  }
  return { nodes: out, pools };
}

interface Buf { name: string; bytes: number; def: number; last: number; offset: number }

export function buildCModel(g: Graph, target: Target, prefix: string): CModel {
  const P = cIdent(prefix);
  if (g.inputs.length !== 1) fail('BNNC_E031', `the C back ends take one input; the graph has ${g.inputs.length}`);
  const typeOf = (s: string): TensorType => {
    const t = g.types.get(s);
    if (!t) fail('BNNC_E008', 'no static type for this value', { tensor: s });
    return t;
  };
  const ctypeOf = (s: string, where: Node | undefined): string => {
    const c = CTYPE[typeOf(s).dtype];
    if (!c) fail('BNNC_E010', `${typeOf(s).dtype} values are not supported by the C back ends yet`, { node: where?.name, op: where?.op, tensor: s });
    return c;
  };
  const input = g.inputs[0];
  const { nodes, pools } = fuseThresholds(g);

  // aliases and lifetimes
  const root = new Map<string, string>([[input.name, input.name]]);
  const bufs = new Map<string, Buf>();
  /** Values holding packed bits: uint32_t words in C (the IR types them int32). */
  const packed = new Set(nodes.filter((n) => n.domain === 'bnnc' && /Threshold$|^BinaryMaxPool$/.test(n.op)).map((n) => n.outputs[0]));
  nodes.forEach((n, i) => {
    if (ALIAS_OPS.has(n.op) && n.domain === '') {
      root.set(n.outputs[0], root.get(n.inputs[0]) ?? n.inputs[0]);
      return;
    }
    for (const o of n.outputs) {
      if (o === '') continue;
      root.set(o, o);
      const t = typeOf(o);
      bufs.set(o, { name: o, bytes: sizeOf(t.shape) * (BYTES[t.dtype] ?? 8), def: i, last: i, offset: 0 });
    }
    for (const s of n.inputs) {
      const b = bufs.get(root.get(s) ?? '');
      if (b) b.last = i;
    }
  });
  for (const o of g.outputs) {
    const b = bufs.get(root.get(o) ?? '');
    if (b) b.last = nodes.length;
  }
  // First fit (8-byte aligned) over a few orders of the buffers: creation, largest first, longest-lived first;
  // the smallest arena wins (the first order on ties, so the layout is stable)
  const place = (order: Buf[]): { size: number; offsets: Map<Buf, number> } => {
    const placed: { b: Buf; off: number }[] = [];
    let size = 0;
    for (const b of order) {
      const live = placed.filter((p) => p.b.def <= b.last && b.def <= p.b.last).sort((x, y) => x.off - y.off);
      let off = 0;
      for (const p of live) {
        if (off + b.bytes <= p.off) break;
        off = Math.max(off, (p.off + p.b.bytes + 7) & ~7);
      }
      placed.push({ b, off });
      size = Math.max(size, (off + b.bytes + 7) & ~7);
    }
    return { size, offsets: new Map(placed.map((p) => [p.b, p.off])) };
  };
  const all = [...bufs.values()];
  const orders = [all, [...all].sort((x, y) => y.bytes - x.bytes || x.def - y.def),
    [...all].sort((x, y) => (y.last - y.def) - (x.last - x.def) || y.bytes - x.bytes || x.def - y.def)];
  const best = orders.map(place).reduce((a, b) => (b.size < a.size ? b : a));
  for (const [b, off] of best.offsets) b.offset = off;
  const arenaBytes = Math.max(best.size, 8);
  let arenaLowerBound = 0;
  for (let i = 0; i <= nodes.length; i++) {
    let live = 0;
    for (const b of bufs.values()) if (b.def <= i && i <= b.last) live += b.bytes;
    arenaLowerBound = Math.max(arenaLowerBound, live);
  }

  const ptr = (s: string, n: Node | undefined): string => {
    const r = root.get(s);
    if (r === input.name) return 'input';
    const b = bufs.get(r ?? '');
    if (!b) fail('BNNC_E031', 'value is not computed by a supported op', { tensor: s, node: n?.name });
    const ct = packed.has(b.name) ? 'uint32_t' : ctypeOf(b.name, n);
    return `(${ct} *)(void *)(${P}_arena.bytes + ${b.offset})`;
  };
  const io = (s: string, cname: string, macro: string): IoInfo => {
    const t = typeOf(s);
    return { name: s, label: cText(s), cname, ctype: ctypeOf(s, undefined), shape: `{${t.shape.join(', ')}}`, count: sizeOf(t.shape), bytes: sizeOf(t.shape) * (BYTES[t.dtype] ?? 8), macro };
  };
  const inputInfo = io(input.name, 'input', 'INPUT');
  const outputs = g.outputs.map((o, i) => io(o, g.outputs.length === 1 ? 'output' : `output${i}`, g.outputs.length === 1 ? 'OUTPUT' : `OUTPUT${i}`));

  const consts: ConstArray[] = [];
  let constBytes = 0, macs = 0;
  const init = (s: string, n: Node): Tensor => {
    const t = g.initializers.get(s);
    if (!t) fail('BNNC_E031', 'this input must be a constant for the C back ends', { node: n.name, op: n.op, tensor: s });
    return t;
  };
  /** The constant arrays of the layer being built, by role; each is named <prefix>_c<node index>_<role>. */
  let arrays: Record<string, ConstArray> = {};
  const addConst = (n: Node, role: string, ctype: CType, vals: ArrayLike<number>, per: number): string => {
    const c = constArray(`${P}_c${nodes.indexOf(n)}_${role}`, ctype, vals, per);
    consts.push(c);
    arrays[role] = c;
    constBytes += c.count * CTYPE_BYTES[ctype];
    return c.name;
  };

  /** The threshold half of a fused conv: inputs ti, ki of the fused node hold T and the kinds of m channels. */
  const thresholdData = (n: Node, ti: number, ki: number, m: number) => {
    const mw = wordsFor(m);
    return {
      MW: mw, MLAST: m - 32 * (mw - 1), NB: wordBits(m, mw), sumPartial: n.op.startsWith('IntConv') ? 'int-sum' : 'xnor-sum',
      thresholds: addConst(n, 'thresholds', 'int32_t', init(n.inputs[ti], n).data, 10),
      kinds: addConst(n, 'kinds', 'int8_t', init(n.inputs[ki], n).data, 16),
    };
  };

  /**
   * The pooling half of a conv fused with AccPool and Threshold: the AccPool window over the conv's
   * [OH, OW] output (P* names), its directions (input 4: +1 max, −1 min) and the threshold data.
   */
  const poolData = (n: Node, m: number, conv: { OH: number; OW: number }) => {
    const p = pools.get(n);
    if (!p) return {};
    const pw = resolveWindow({ node: p, attrs: { ...p.attrs, auto_pad: 'NOTSET' }, opset: g.opset }, [conv.OH, conv.OW],
      p.attrs.kernel_shape as number[], p.attrs.ceil_mode === 1);
    return {
      POH: pw.outSize[0], POW: pw.outSize[1], PKH: pw.kernel[0], PKW: pw.kernel[1], PSH: pw.strides[0], PSW: pw.strides[1],
      PDH: pw.dilations[0], PDW: pw.dilations[1], PPT: pw.padBegin[0], PPL: pw.padBegin[1],
      POHOUT: outside('oh', pw.padBegin[0], pw.outSize[0], pw.strides[0], pw.kernel[0], pw.dilations[0], conv.OH),
      POWOUT: outside('ow', pw.padBegin[1], pw.outSize[1], pw.strides[1], pw.kernel[1], pw.dilations[1], conv.OW),
      poolNote: `, then ${pw.kernel[0]}x${pw.kernel[1]} max/min pool stride ${pw.strides[0]}x${pw.strides[1]} to ${pw.outSize[0]}x${pw.outSize[1]}`,
      dirs: addConst(n, 'dirs', 'int8_t', init(n.inputs[4], n).data, 16),
      ...thresholdData(n, 2, 3, m),
    };
  };

  const layers: Layer[] = [];
  nodes.forEach((n, i) => {
    if (ALIAS_OPS.has(n.op) && n.domain === '') return;
    const fn = `${P}_l${i}_${cIdent(n.name || n.op)}`.slice(0, 60);
    const cn = `${P}_c${i}`;
    const x = n.inputs[0], y = n.outputs[0];
    const xs = typeOf(x).shape, ys = typeOf(y).shape;
    const head = `${cText(n.name)}${n.attrs.pool_node ? ` + ${cText(String(n.attrs.pool_node))}` : ''}${n.attrs.threshold_node ? ` + ${cText(String(n.attrs.threshold_node))}` : ''} (${n.domain ? `${n.domain}.` : ''}${n.op}): ${n.inputs.filter((s) => !g.initializers.has(s)).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')} -> ${n.outputs.filter((s) => s).map((s) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`).join(', ')}`;
    arrays = {};
    const base = { fn, cn, arrays, xt: ctypeOf(x, n), call: `${fn}(${ptr(x, n)}, ${ptr(y, n)});` };
    const batch1 = () => { if (xs[0] !== 1) fail('BNNC_E031', `batch ${xs[0]}: the C back ends take batch 1`, { node: n.name, op: n.op }); };
    const win = (k: readonly number[], ceil = false) => {
      const a = n.attrs;
      return resolveWindow({ node: n, attrs: { ...a, auto_pad: 'NOTSET' }, opset: g.opset }, [xs[1], xs[2]], k, ceil);
    };
    const geo = (w: ReturnType<typeof win>) => ({
      H: w.inSize[0], W: w.inSize[1], OH: w.outSize[0], OW: w.outSize[1], KH: w.kernel[0], KW: w.kernel[1],
      SH: w.strides[0], SW: w.strides[1], DH: w.dilations[0], DW: w.dilations[1], PT: w.padBegin[0], PL: w.padBegin[1],
      // the bounds tests of the window's rows and columns, only for the sides a window crosses
      HOUT: outside('ih', w.padBegin[0], w.outSize[0], w.strides[0], w.kernel[0], w.dilations[0], w.inSize[0]),
      WOUT: outside('iw', w.padBegin[1], w.outSize[1], w.strides[1], w.kernel[1], w.dilations[1], w.inSize[1]),
    });
    if (n.domain === 'bnnc') batch1();
    switch (`${n.domain}.${n.op}`) {
      case 'bnnc.XnorConv': case 'bnnc.XnorConvThreshold': case 'bnnc.XnorConvPoolThreshold': {
        const wt = init(n.inputs[1], n);
        const [m, kh, kw, cgw] = wt.shape;
        const c = n.attrs.channels as number, group = (n.attrs.group as number | undefined) ?? 1, cg = c / group;
        const pad = (n.attrs.pad_value as number | undefined) ?? 0;
        const w = geo(win([kh, kw]));
        const wName = addConst(n, 'weights', 'uint32_t', wt.data, 6);
        const nK = kh * kw;
        const wSum: number[] = [], wTotal: number[] = [];
        for (let mi = 0; mi < m; mi++) {
          let tot = 0;
          for (let t = 0; t < nK; t++) {
            let d = 0;
            for (let k = 0; k < cgw; k++) {
              const v = k === cgw - 1 ? wt.data[(mi * nK + t) * cgw + k] & tailMask(cg) : wt.data[(mi * nK + t) * cgw + k];
              d += popcount32(v);
            }
            wSum.push(cg - 2 * d);
            tot += cg - 2 * d;
          }
          wTotal.push(tot);
        }
        const padded = pad !== 0;
        const fused = n.op === 'XnorConvThreshold';
        const pooled = n.op === 'XnorConvPoolThreshold';
        macs += w.OH * w.OW * m * cg * nK;
        const pd: Record<string, unknown> = pooled ? poolData(n, m, w) : {};
        const wsum = padded ? addConst(n, 'wsum', 'int32_t', wSum, 12) : '';
        const wtotal = padded ? addConst(n, 'wtotal', 'int32_t', wTotal, 12) : '';
        layers.push({
          ...base, xt: 'uint32_t', partial: group !== 1 ? 'XnorConvGrouped' : pooled ? 'ConvPoolThreshold' : fused ? 'XnorConvThreshold' : 'XnorConv', padded,
          comment: `${head}\n * binary conv ${kh}x${kw}, ${c} -> ${m} channels, group ${group}, stride ${w.SH}x${w.SW}, pads ${w.PT},${w.PL} (value ${pad})${pooled ? String(pd.poolNote) : ''}; ${w.OH * w.OW * m * cg * nK} binary MACs`,
          ...w, M: m, CW: xs[3], CG: cg, CGW: cgw, G: group, MG: m / group, PAD: pad, TAIL: tailMask(cg),
          LASTK: cgw === 1 ? '' : `k == ${cgw - 1}`, // the tail word's test (none with one word per group)
          weights: wName, wsum, wtotal,
          decls: `int32_t oh, ow, m, kh, kw, k, d, taps, s${padded ? ', inside' : ''}${fused || pooled ? ', q, b' : ''};`,
          sumExpr: padded ? `s = ${cg} * taps - 2 * d + (${pad}) * (${wtotal}[m] - inside);` : `s = ${cg} * taps - 2 * d;`,
          ...(fused ? thresholdData(n, 2, 3, m) : {}),
          ...pd,
        });
        break;
      }
      case 'bnnc.IntConv': case 'bnnc.IntConvThreshold': case 'bnnc.IntConvPoolThreshold': {
        const wt = init(n.inputs[1], n);
        const [m, cg, kh, kw] = wt.shape;
        const nchw = n.attrs.layout !== 'NHWC';
        const [, c, h, wd] = nchw ? xs : [xs[0], xs[3], xs[1], xs[2]];
        const str = nchw ? [h * wd, wd, 1] : [1, wd * c, c];
        const group = (n.attrs.group as number | undefined) ?? 1;
        const a = n.attrs;
        const ww = resolveWindow({ node: n, attrs: { ...a, auto_pad: 'NOTSET' }, opset: g.opset }, [h, wd], [kh, kw], false);
        const w = geo(ww);
        macs += w.OH * w.OW * m * cg * kh * kw;
        // ±1 weights (every binary first layer) are stored one bit each, bit 1 = −1 as everywhere else (flat
        // index i = ((m·CG + j)·KH + kh)·KW + kw, word i/32, bit i%32); the sum takes v = x − zp or −v by the
        // bit, as (v XOR mask) − mask with mask = −bit. Any other weight keeps one int8 each.
        // With KW ≤ 32 a row's bits are read once from two words and shifted out tap by tap (a spare zero word
        // ends the array so the second read stays inside it).
        const bits = Array.from(wt.data as ArrayLike<number>).every((v) => v === 1 || v === -1);
        const rowBits = bits && kw <= 32;
        const packedW = new Array<number>(bits ? wordsFor(wt.data.length) + (rowBits ? 1 : 0) : 0).fill(0);
        if (bits) Array.from(wt.data as ArrayLike<number>).forEach((v, i) => { if (v === -1) packedW[i >> 5] |= 1 << (i & 31); });
        const weights = bits
          ? addConst(n, 'weights', 'uint32_t', packedW, 6)
          : addConst(n, 'weights', 'int8_t', wt.data, 16);
        const pooled = n.op === 'IntConvPoolThreshold';
        const pd: Record<string, unknown> = pooled ? poolData(n, m, w) : {};
        layers.push({
          ...base, partial: pooled ? 'ConvPoolThreshold' : n.op, packedW: bits, rowBits,
          comment: `${head}\n * integer conv ${kh}x${kw}, ${c} -> ${m} channels, group ${group}, stride ${w.SH}x${w.SW}${pooled ? String(pd.poolNote) : ''}; ${w.OH * w.OW * m * cg * kh * kw} MACs; ${bits ? '+-1 weights, 1 bit each (bit 1 = -1)' : 'int8 weights'}`,
          ...w, M: m, CG: cg, G: group, MG: m / group, ZP: (n.attrs.zero_point as number | undefined) ?? 0,
          SC: str[0], SY: str[1], SX: str[2], weights,
          decls: `int32_t oh, ow, q, b, m, j, kh, kw, s;\n    const int32_t c0 = 0;`,
          ...(n.op === 'IntConvThreshold' ? thresholdData(n, 2, 3, m) : {}),
          ...pd,
        });
        break;
      }
      case 'bnnc.Threshold': {
        const nhwc = (n.attrs.layout ?? 'NHWC') === 'NHWC';
        const [, h, wd, c] = nhwc ? xs : [xs[0], xs[2], xs[3], xs[1]];
        const str = nhwc ? [wd * c, c, 1] : [wd, 1, h * wd];
        const t = init(n.inputs[1], n), k = init(n.inputs[2], n);
        const cw = wordsFor(c);
        layers.push({
          ...base, partial: 'Threshold',
          comment: `${head}\n * threshold and pack ${c} channels into ${cw} words per pixel, ${h}x${wd} pixels`,
          H: h, W: wd, C: c, CW: cw, CLAST: c - 32 * (cw - 1), NB: wordBits(c, cw), SY: str[0], SX: str[1], SC: str[2],
          thresholds: addConst(n, 'thresholds', 'int32_t', t.data, 10),
          kinds: addConst(n, 'kinds', 'int8_t', k.data, 16),
        });
        break;
      }
      case 'bnnc.BinaryMaxPool': case 'bnnc.AccPool': {
        const ks = n.attrs.kernel_shape as number[];
        const w = geo(win(ks, n.attrs.ceil_mode === 1));
        const isAcc = n.op === 'AccPool';
        layers.push({
          ...base, partial: n.op,
          comment: `${head}\n * ${isAcc ? 'max/min pool of int32 sums' : 'max pool of packed bits (AND)'} ${ks[0]}x${ks[1]}, stride ${w.SH}x${w.SW}`,
          ...w, CW: xs[3],
          dirs: isAcc ? addConst(n, 'dirs', 'int8_t', init(n.inputs[1], n).data, 16) : '',
        });
        break;
      }
      case 'bnnc.Epilogue': {
        const [, h, wd, c] = xs;
        const nchw = (n.attrs.layout ?? 'NCHW') === 'NCHW' && (n.attrs.rank ?? 4) !== 2;
        layers.push({
          ...base, partial: 'Epilogue',
          comment: `${head}\n * y = (float)acc * scale[c], then + bias[c]: two float32 roundings, no FMA (-ffp-contract=off)`,
          P: h * wd, C: c, YP: nchw ? 1 : c, YC: nchw ? h * wd : 1,
          scale: addConst(n, 'scale', 'float', init(n.inputs[1], n).data, 6),
          bias: addConst(n, 'bias', 'float', init(n.inputs[2], n).data, 6),
        });
        break;
      }
      case 'bnnc.Softmax32': case 'bnnc.LogSoftmax32': {
        // the portable exp32/log32 (templates/common/partials/float32-math.hbs), in the op file's order
        const rank = xs.length, axis = (((n.attrs.axis as number | undefined) ?? -1) + rank) % rank;
        layers.push({
          ...base, partial: n.op,
          comment: `${head}\n * ${n.op === 'Softmax32' ? 'e = exp32(x - max), y = e / sum' : 'y = (x - max) - log32(sum of exp32(x - max))'} along axis ${axis}; max and sum left to right`,
          OUTER: sizeOf(xs.slice(0, axis)), N: xs[axis], INNER: sizeOf(xs.slice(axis + 1)),
        });
        break;
      }
      case '.ArgMax': case '.TopK': {
        const rank = xs.length;
        const axis = (((n.attrs.axis as number | undefined) ?? (n.op === 'TopK' ? -1 : 0)) + rank) % rank;
        const len = xs[axis], inner = sizeOf(xs.slice(axis + 1)), outer = sizeOf(xs.slice(0, axis));
        if (typeOf(x).dtype !== 'float32') fail('BNNC_E031', `${n.op} on ${typeOf(x).dtype} is not supported by the C back ends yet`, { node: n.name, op: n.op });
        if (n.op === 'ArgMax') {
          layers.push({
            ...base, partial: 'ArgMax', comment: `${head}\n * index of the largest value along axis ${axis} (NaN ranks highest)`,
            OUTER: outer, N: len, INNER: inner, better: n.attrs.select_last_index ? '!bnnc_above(b, v)' : 'bnnc_above(v, b)',
          });
        } else {
          const k = ys[axis];
          const vals = n.outputs[0] ? ptr(n.outputs[0], n) : '';
          const idx = n.outputs[1] ? ptr(n.outputs[1], n) : '';
          if (!vals || !idx) fail('BNNC_E031', 'TopK needs both outputs named for the C back ends', { node: n.name, op: n.op });
          layers.push({
            ...base, partial: 'TopK', call: `${fn}(${ptr(x, n)}, ${vals}, ${idx});`,
            comment: `${head}\n * the ${k} ${n.attrs.largest === 0 ? 'smallest' : 'largest'} values along axis ${axis}, sorted, ties in index order`,
            OUTER: outer, N: len, INNER: inner, K: k,
            before: n.attrs.largest === 0 ? 'bnnc_above(e, v)' : 'bnnc_above(v, e)',
          });
        }
        break;
      }
      default:
        fail('BNNC_E031', `${n.op} is not supported by the C back ends yet${n.domain === '' && /^(Log)?Softmax$/.test(n.op) ? ` (libm exp/log are not bit-exact: the portable-math pass turns it into bnnc.${n.op}32)` : ''}`, { node: n.name, op: n.op });
    }
    // what a debug build (-DBNNC_DEBUG_LAYERS) hands out after this layer: each output's buffer, named by the
    // lowered node that computes it (a fused conv's output is its Threshold's)
    const made = layers[layers.length - 1];
    if (made && made.fn === fn && made.dumps === undefined) {
      made.index = layers.length - 1;
      made.dumps = n.outputs.filter((o) => o !== '').map((o): LayerDump => ({
        node: String(n.attrs.threshold_node ?? n.name), tensor: o, ptr: ptr(o, n), bytes: sizeOf(typeOf(o).shape) * (BYTES[typeOf(o).dtype] ?? 8),
      }));
    }
  });

  const copies = outputs.map((o) => ({ dst: o.cname, src: ptr(o.name, undefined), count: o.count }));
  return {
    prefix: P, PREFIX: P.toUpperCase(), graphName: cText(g.name), input: inputInfo, outputs,
    outParams: outputs.map((o) => `${o.ctype} *${o.cname}`).join(', '),
    arenaBytes, arenaLowerBound, arenaWords: arenaBytes / 8, consts, layers, copies, constBytes, macs,
    popcountPartial: target.features.popcountInstruction ? 'popcount-builtin' : 'popcount-swar',
    target,
  };
}
