// The ordered pass pipelines. A pass returns a new graph, or the very same object when it changed nothing;
// the driver repeats each pass until it settles and treats one that never does as an internal error.
// Every pass here is one walk over the graph that reaches its own fixed point, so it settles after one
// changing round; the round limit is only a guard against a pass that cycles, and it grows with the graph
// (a pass that did change one node per round would need as many rounds as there are nodes).
import { bug } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { verifyGraph } from '../ir/verify.js';
import { lookupOp } from '../ops/index.js';
import { inferAndFold } from './infer-and-fold.js';
import { conv1dAs2d } from './conv1d-as-2d.js';
import { dropZeroPad } from './drop-zero-pad.js';
import { foldNhwcFlatten } from './fold-nhwc-flatten.js';
import { narrowConstantWidths } from './narrow-constant-widths.js';
import { fuseConvThreshold } from './fuse-conv-threshold.js';
import { normalizeArithmetic } from './normalize-arithmetic.js';
import { removeIdentity } from './remove-identity.js';
import { resolveAutoPad } from './resolve-auto-pad.js';
import { xnorPopcountAsMatmul } from './xnor-popcount-as-matmul.js';

export interface Pass {
  readonly name: string;
  run(g: Graph, opts: PipelineOptions): Graph;
}

/** What every model goes through after import: the float graph the reference interpreter runs. */
export const IMPORT_PIPELINE: readonly Pass[] = [
  { name: 'infer-and-fold', run: (g, o) => inferAndFold(g, { maxTensorBytes: o.maxTensorBytes }) },
  { name: 'narrow-constant-widths', run: narrowConstantWidths },
  { name: 'conv1d-as-2d', run: conv1dAs2d },
  { name: 'resolve-auto-pad', run: resolveAutoPad },
  { name: 'drop-zero-pad', run: dropZeroPad },
  { name: 'remove-identity', run: removeIdentity },
];

/** Rewrites that prepare a float graph for binarization (not bit-preserving in float32: see the pass). */
export const NORMALIZE_PIPELINE: readonly Pass[] = [
  { name: 'fold-nhwc-flatten', run: foldNhwcFlatten },
  { name: 'xnor-popcount-as-matmul', run: xnorPopcountAsMatmul },
  { name: 'normalize-arithmetic', run: normalizeArithmetic },
  { name: 'infer-and-fold', run: (g, o) => inferAndFold(g, { maxTensorBytes: o.maxTensorBytes }) },
];

/** Rounds a pass may take on a graph: more than a pass that consumes one node or initializer per round needs. */
export function maxRounds(g: Graph): number {
  return g.nodes.length + g.initializers.size + 2;
}

/** What a lowered graph goes through before C emission (backend/c-data.ts runs it): bnnc to bnnc, exact. */
export const C_PIPELINE: readonly Pass[] = [
  { name: 'fuse-conv-threshold', run: fuseConvThreshold },
];

export interface PipelineOptions {
  /** Largest tensor a pass may create (shape inference refuses bigger ones before allocating). */
  readonly maxTensorBytes?: number;
  /** Called with the graph after each pass that changed it (`--dump-after`). */
  readonly after?: (pass: string, g: Graph) => void;
}

export function runPipeline(g: Graph, passes: readonly Pass[], opts: PipelineOptions = {}): Graph {
  for (const pass of passes) {
    let rounds = 0;
    const limit = maxRounds(g);
    for (;;) {
      const next = pass.run(g, opts);
      if (next === g) break;
      verifyGraph(next, pass.name);
      for (const n of next.nodes) bug(lookupOp(n.domain, n.op), `after ${pass.name}: node '${n.name}' has unregistered op ${n.domain}::${n.op}`);
      opts.after?.(pass.name, next);
      g = next;
      bug(++rounds < limit, `pass '${pass.name}' did not settle after ${limit} rounds`);
    }
  }
  return g;
}
