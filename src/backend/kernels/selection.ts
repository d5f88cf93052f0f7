// Kernel selection: 'reference' keeps the portable kernels c-data.ts built; 'optimized' rewrites each
// group-1 binary conv layer (XnorConvFast: binary-conv.ts) and thresholded ±1 IntConv (IntConvFast:
// int-tables.ts), reading only target.features. docs/targets.md ("Optimized binary kernels") has the summary.
import { CTYPE_BYTES } from '../../ops/c-layer.js';
import type { CModel } from '../c-data.js';
import type { Target } from '../target.js';
import { fastLayer } from './binary-conv.js';
import type { Rewrite } from './common.js';
import { intFastLayer } from './int-tables.js';

export type KernelVariant = 'reference' | 'optimized';

/** The model with its kernels chosen: 'reference' leaves it as built; 'optimized' rewrites the binary convs. */
export function selectKernels(model: CModel, target: Target, variant: KernelVariant = 'optimized'): CModel {
  if (variant === 'reference') return model;
  let consts = model.consts;
  let constBytes = model.constBytes;
  const layers = model.layers.map((l) => {
    const pooled = l.partial === 'ConvPoolThreshold' && l.sumPartial === 'xnor-sum';
    const intPooled = l.partial === 'ConvPoolThreshold' && l.sumPartial === 'int-sum';
    if (l.G !== 1) return l;
    let f: Rewrite | undefined;
    if (l.partial === 'IntConvThreshold' || intPooled) f = intFastLayer(l);
    else if (l.partial === 'XnorConv' || l.partial === 'XnorConvThreshold' || pooled) f = fastLayer(l, target);
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

