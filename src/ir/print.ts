// A stable text form of the IR (for --dump-after and snapshot tests): one line per node, constants summarized.
import { shapeText } from './tensor.js';
import type { AttrValue, Graph, Tensor } from './types.js';

function attrText(v: AttrValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(',')}]`;
  const t = v as Tensor;
  return `tensor<${t.dtype}${shapeText(t.shape)}>`;
}

export function printGraph(g: Graph): string {
  const lines: string[] = [`graph ${JSON.stringify(g.name)} opset ${g.opset}`];
  for (const i of g.inputs) lines.push(`  input ${i.name}: ${i.type.dtype}${shapeText(i.type.shape)}`);
  for (const [k, t] of [...g.initializers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`  const ${k}: ${t.dtype}${shapeText(t.shape)}`);
  }
  for (const n of g.nodes) {
    const outs = n.outputs.map((o) => (o === '' ? '_' : `${o}: ${g.types.get(o)?.dtype}${shapeText(g.types.get(o)?.shape ?? [])}`));
    const attrs = Object.keys(n.attrs).sort().map((k) => `${k}=${attrText(n.attrs[k])}`);
    const op = n.domain ? `${n.domain}.${n.op}` : n.op;
    lines.push(`  ${outs.join(', ')} = ${op}(${n.inputs.map((s) => s || '_').join(', ')})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  # ${n.name}`);
  }
  lines.push(`  return ${g.outputs.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
