// The IR verifier, run after every pass: topological order, every value typed and produced once. Plain
// structure only: that every op is registered is checked where ops are known (passes/index.ts).
// A failure here is a bnnc bug in the pass named, never a user error.
import { bug } from '../errors.js';
import type { Graph } from './types.js';

export function verifyGraph(g: Graph, after: string): void {
  const defined = new Set<string>([...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
  for (const n of g.nodes) {
    for (const s of n.inputs) bug(s === '' || defined.has(s), `after ${after}: '${n.name}' reads '${s}' before it is defined`);
    for (const s of n.outputs) {
      if (s === '') continue;
      bug(!defined.has(s), `after ${after}: '${s}' is defined twice`);
      bug(g.types.has(s), `after ${after}: '${s}' has no type`);
      defined.add(s);
    }
  }
  for (const o of g.outputs) bug(defined.has(o), `after ${after}: graph output '${o}' is not defined`);
}
