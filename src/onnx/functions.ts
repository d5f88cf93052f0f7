// Local functions (ModelProto.functions): sized before anything is inlined (functions calling each other
// twice per level would expand 2^depth times; a function calling itself never ends), then inlined call by
// call with fresh tensor names, attribute references resolved against the call's attributes.
import { fail } from '../errors.js';
import type { AttributeProto, FunctionProto, NodeProto } from './proto.js';

/** Nodes after inlining local functions: a guard against functions that call each other exponentially. */
export const MAX_NODES = 1 << 20;
/** Local functions calling functions: deeper nesting than this is refused (it would only exhaust the stack). */
const MAX_FUNCTION_DEPTH = 64;

/**
 * How many nodes `nodes` become once local functions are inlined, counted before anything is inlined (a few
 * functions calling each other twice per level would otherwise expand 2^depth times); capped just above
 * MAX_NODES. A function that calls itself, directly or through others, is BNNC_E012.
 */
export function expandedSize(nodes: readonly NodeProto[], callee: (n: NodeProto) => FunctionProto | undefined): number {
  const sizes = new Map<FunctionProto, number>();
  const open = new Set<FunctionProto>();
  const count = (list: readonly NodeProto[]): number => {
    let total = 0;
    for (const n of list) {
      const fn = callee(n);
      total += fn ? sizeOfCall(fn, n) : 1;
      if (total > MAX_NODES) return MAX_NODES + 1;
    }
    return total;
  };
  const sizeOfCall = (fn: FunctionProto, call: NodeProto): number => {
    const known = sizes.get(fn);
    if (known !== undefined) return known;
    const where = { node: call.name || fn.name || '', op: call.opType ?? '' };
    if (open.has(fn)) fail('BNNC_E012', `local function '${fn.name}' calls itself`, where);
    if (open.size >= MAX_FUNCTION_DEPTH) fail('BNNC_E023', `local functions nested more than ${MAX_FUNCTION_DEPTH} deep`, where);
    open.add(fn);
    const size = count(fn.node ?? []);
    open.delete(fn);
    sizes.set(fn, size);
    return size;
  };
  return count(nodes);
}

export class NameSource {
  private readonly used = new Set<string>();
  private counter = 0;
  reserve(name: string): void {
    this.used.add(name);
  }
  fresh(base: string): string {
    let s: string;
    do s = `${base}__${this.counter++}`; while (this.used.has(s));
    this.used.add(s);
    return s;
  }
}

export function inlineFunction(
  fn: FunctionProto,
  call: NodeProto,
  outerRename: (s: string) => string,
  outerAttrRefs: Map<string, AttributeProto>,
  names: NameSource,
  expand: (n: NodeProto, rename: (s: string) => string, attrRefs: Map<string, AttributeProto>) => void,
): void {
  const callName = call.name || fn.name || 'fn';
  const map = new Map<string, string>();
  (fn.input ?? []).forEach((s, i) => map.set(s, outerRename(call.input?.[i] ?? '')));
  (fn.output ?? []).forEach((s, i) => map.set(s, outerRename(call.output?.[i] ?? '')));
  const rename = (s: string) => {
    if (s === '') return '';
    let r = map.get(s);
    if (r === undefined) {
      r = names.fresh(`${callName}/${s}`);
      map.set(s, r);
    }
    return r;
  };
  const attrRefs = new Map<string, AttributeProto>();
  for (const a of call.attribute ?? []) {
    if (a.refAttrName) {
      const ref = outerAttrRefs.get(a.refAttrName);
      if (ref) attrRefs.set(a.name ?? '', ref);
    } else attrRefs.set(a.name ?? '', a);
  }
  for (const n of fn.node ?? []) {
    expand({ ...n, name: `${callName}/${n.name || n.opType}` }, rename, attrRefs);
  }
}
