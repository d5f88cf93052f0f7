// Stack usage of compiled C: GCC's `-fstack-usage` (.su: one line per function, its frame in bytes and
// whether it is static, dynamic or dynamic-but-bounded) and `-fcallgraph-info=su` (.ci: a VCG call graph whose
// nodes carry the same frames). The worst stack depth from an entry point is the heaviest path in the call
// graph; the generated code has no recursion, so a cycle is reported as an error rather than summed.

/** The worst stack chain allowed on every target by test/backend/static-analysis.test.ts (docs/generated-code-checks.md). */
export const STACK_BOUND_BYTES = 1280;

/** A measured worst stack depth, as the header states it: the bytes and how they were measured. */
export interface StackFigure {
  readonly bytes: number;
  /** e.g. "arm-none-eabi-gcc -fstack-usage for cortex-m4" */
  readonly how: string;
}

/** One function's frame as GCC reports it. */
export interface StackFrame {
  readonly fn: string;
  /** file:line:column of the function's definition. */
  readonly at: string;
  readonly bytes: number;
  /** 'static': fixed frame; 'dynamic': alloca or a VLA; 'dynamic,bounded': variable but with a known bound. */
  readonly kind: string;
}

/** Parses a .su file: `file:line:col:function<TAB>bytes<TAB>kind` per line. */
export function parseStackUsage(text: string): StackFrame[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const m = /^(.*):([^:\t]+)\t(\d+)\t(\S+)$/.exec(line);
    if (!m) throw new Error(`unexpected -fstack-usage line: ${line}`);
    return { at: m[1], fn: m[2], bytes: Number(m[3]), kind: m[4] };
  });
}

/** A call graph from a .ci file: frames of the functions defined here, edges caller → callees. */
export interface CallGraph {
  readonly frames: ReadonlyMap<string, number>;
  readonly calls: ReadonlyMap<string, readonly string[]>;
}

/** Parses the VCG of `-fcallgraph-info=su`: `node: { title: "f" label: "f\n…\nN bytes (static)" }` and `edge: { sourcename: "f" targetname: "g" }`. */
export function parseCallGraph(text: string): CallGraph {
  const frames = new Map<string, number>();
  const calls = new Map<string, string[]>();
  for (const m of text.matchAll(/node: \{ title: "([^"]+)" label: "([^"]*)"/g)) {
    const b = /\\n(\d+) bytes/.exec(m[2]);
    if (b) frames.set(m[1], Number(b[1]));
  }
  for (const m of text.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) {
    const list = calls.get(m[1]) ?? [];
    if (!list.includes(m[2])) list.push(m[2]);
    calls.set(m[1], list);
  }
  return { frames, calls };
}

/** The heaviest call chain from `entry`: its functions and the sum of their frames. Callees without a frame (defined elsewhere) are listed in `external`. */
export function worstChain(g: CallGraph, entry: string): { chain: string[]; bytes: number; external: string[] } {
  const external = new Set<string>();
  const memo = new Map<string, { chain: string[]; bytes: number }>();
  const visit = (fn: string, path: readonly string[]): { chain: string[]; bytes: number } => {
    if (path.includes(fn)) throw new Error(`recursion in the call graph: ${[...path, fn].join(' → ')}`);
    const done = memo.get(fn);
    if (done) return done;
    const own = g.frames.get(fn);
    if (own === undefined) {
      external.add(fn);
      return { chain: [fn], bytes: 0 };
    }
    let best = { chain: [] as string[], bytes: 0 };
    for (const callee of g.calls.get(fn) ?? []) {
      const r = visit(callee, [...path, fn]);
      if (r.bytes > best.bytes || best.chain.length === 0) best = r;
    }
    const r = { chain: [fn, ...best.chain], bytes: own + best.bytes };
    memo.set(fn, r);
    return r;
  };
  const r = visit(entry, []);
  return { ...r, external: [...external].sort() };
}
