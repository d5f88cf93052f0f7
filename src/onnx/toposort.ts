// Node order: Kahn's algorithm with a min-heap of node indices, so the order is the file's wherever the
// dependencies allow, in O(n log n) for any graph shape. Duplicate producers, dangling names and cycles are
// diagnostics naming the node and tensor.
import { fail } from '../errors.js';
import type { Node } from '../ir/types.js';

/**
 * Kahn's algorithm, stable in the file's order (a min-heap of ready node indices: O(n log n), so a chain
 * of 50k nodes sorts in milliseconds); dangling names, duplicate outputs and cycles are errors.
 */
export function sortTopologically(nodes: readonly Node[], available: ReadonlySet<string>, outputs: readonly string[]): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o)) {
        const other = producer.has(o) ? `node '${nodes[producer.get(o)!].name}'` : 'a graph input or initializer';
        fail('BNNC_E013', `output '${o}' is also produced by ${other}; every tensor has one producer`, { node: n.name, op: n.op, tensor: o });
      }
      producer.set(o, i);
    }
  });
  // edges producer → user, as flat arrays (a tensor read by 50k nodes must not cost 50k array copies)
  const waiting = new Int32Array(nodes.length);
  const edgeFrom: number[] = [], edgeTo: number[] = [];
  nodes.forEach((n, i) => {
    const seen = new Set<string>();
    n.inputs.forEach((name) => {
      if (name === '' || available.has(name) || seen.has(name)) return;
      seen.add(name);
      const p = producer.get(name);
      if (p === undefined) fail('BNNC_E008', `input '${name}' is not produced by any node, graph input or initializer`, { node: n.name, op: n.op, tensor: name });
      waiting[i]++;
      edgeFrom.push(p);
      edgeTo.push(i);
    });
  });
  const start = new Int32Array(nodes.length + 1);
  for (const p of edgeFrom) start[p + 1]++;
  for (let i = 0; i < nodes.length; i++) start[i + 1] += start[i];
  const users = new Int32Array(edgeTo.length);
  const fill = start.slice(0, nodes.length);
  edgeFrom.forEach((p, e) => { users[fill[p]++] = edgeTo[e]; });
  const ready = new MinHeap();
  waiting.forEach((w, i) => { if (w === 0) ready.push(i); });
  const order: Node[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(nodes[i]);
    for (let e = start[i]; e < start[i + 1]; e++) if (--waiting[users[e]] === 0) ready.push(users[e]);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i] > 0).map((n) => n.name);
    fail('BNNC_E012', `nodes ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ', …' : ''} depend on each other (directly or through other nodes); expected an acyclic graph`, { node: stuck[0] });
  }
  for (const o of outputs) {
    if (!producer.has(o) && !available.has(o)) fail('BNNC_E008', 'graph output is not produced by any node, graph input or initializer', { tensor: o });
  }
  return order;
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    let i = a.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i, v = last;
        if (l < a.length && a[l] < v) { m = l; v = a[l]; }
        if (r < a.length && a[r] < v) m = r;
        if (m === i) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}
