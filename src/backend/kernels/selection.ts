// Kernel selection: 'reference' keeps the portable kernels c-data.ts built; 'optimized' rewrites each
// group-1 binary conv layer (XnorConvFast: binary-conv.ts), thresholded ±1 IntConv (IntConvFast:
// int-tables.ts) and unfused ±1 IntConv (IntConvLanes: int-lanes.ts), reading only target.features. docs/targets.md ("Optimized binary kernels") has the summary.
import { CTYPE_BYTES, type IntConvLayer, type XnorConvLayer } from '../../ops/c-layer.js';
import type { CModel, Layer } from '../c-data.js';
import type { Target } from '../target.js';
import { fastLayer } from './binary-conv.js';
import type { Rewrite } from './common.js';
import { intLanesLayer } from './int-lanes.js';
import { intFastLayer } from './int-tables.js';

export type KernelVariant = 'reference' | 'optimized';

const isXnorConv = (l: Layer): l is Layer & XnorConvLayer => l.kind === 'xnor-conv';
const isIntConv = (l: Layer): l is Layer & IntConvLayer => l.kind === 'int-conv';

/** The model with its kernels chosen: 'reference' leaves it as built; 'optimized' rewrites the binary convs. */
export function selectKernels(model: CModel, target: Target, variant: KernelVariant = 'optimized'): CModel {
  if (variant === 'reference') return model;
  let consts = model.consts;
  let constBytes = model.constBytes;
  const layers = model.layers.map((l) => {
    let f: Rewrite | undefined;
    // every group-1 binary conv, alone or fused; a group-1 ±1 integer conv thresholded (fused: IntConvFast)
    // or not (int32 sums: IntConvLanes)
    if (isXnorConv(l) && l.G === 1) f = fastLayer(l, target);
    else if (isIntConv(l) && l.G === 1 && l.thresholds !== undefined) f = intFastLayer(l);
    else if (isIntConv(l) && l.G === 1 && l.partial === 'IntConv') f = intLanesLayer(l, target);
    if (!f) return l;
    const { drop, add } = f;
    const added = Object.values(add);
    constBytes -= drop.reduce((s, c) => s + c.count * CTYPE_BYTES[c.ctype], 0);
    constBytes += added.reduce((s, c) => s + c.count * CTYPE_BYTES[c.ctype], 0);
    consts = [...consts.filter((c) => !drop.includes(c)), ...added];
    const kept = Object.entries(l.arrays).filter(([, c]) => !drop.includes(c));
    return { ...f.layer, arrays: { ...Object.fromEntries(kept), ...add } };
  });
  return { ...model, layers, consts, constBytes };
}

