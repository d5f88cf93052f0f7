// Kernel selection: 'reference' keeps the portable kernels c-data.ts built; 'optimized' rewrites each
// group-1 binary conv layer (XnorConvFast: binary-conv.ts) and thresholded ±1 IntConv (IntConvFast:
// int-tables.ts), reading only target.features. docs/targets.md ("Optimized binary kernels") has the summary.
import { CTYPE_BYTES, type IntConvLayer, type XnorConvLayer } from '../../ops/c-layer.js';
import type { CModel, Layer } from '../c-data.js';
import type { Target } from '../target.js';
import { fastLayer } from './binary-conv.js';
import type { Rewrite } from './common.js';
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
    // every group-1 binary conv, alone or fused; an integer conv only when thresholded (fused)
    if (isXnorConv(l) && l.G === 1) f = fastLayer(l, target);
    else if (isIntConv(l) && l.G === 1 && l.thresholds !== undefined) f = intFastLayer(l);
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

