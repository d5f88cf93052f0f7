// The cycle estimate of docs/benchmarks-method.md: per-address execution counts (the plugin's `pcs`) times a
// per-core cost per instruction class, classified from `objdump -d` of the same image, plus a refill penalty
// for every taken branch. An estimate, not a measurement: zero wait states, no caches, no bus contention.
// A target names its table (`costModel` in its JSON); dual-issue cores name none and get instructions only.
import type { CostModel } from '../backend/target.js';
import { exec } from '../backend/toolchain.js';

export type { CostModel };

export interface Insn { addr: number; size: number; mnem: string; ops: string }

/** Disassembles an ELF: every instruction with its address, byte size, mnemonic and operands. */
export function disassemble(objdump: string, elf: string, timeoutMs?: number): Insn[] {
  const out = exec(objdump, ['-d', '--no-show-raw-insn', elf], { timeoutMs, maxBuffer: 256 << 20, what: `${objdump} -d ${elf}` }).stdout;
  const list: Insn[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([a-z][\w.]*)\s*(.*)$/.exec(line);
    if (m) list.push({ addr: parseInt(m[1], 16), size: 0, mnem: m[2], ops: m[3].replace(/\s*[;#@].*$/, '').trim() });
  }
  list.sort((a, b) => a.addr - b.addr);
  for (let i = 0; i + 1 < list.length; i++) list[i].size = list[i + 1].addr - list[i].addr;
  return list;
}

const P = 2; // Cortex-M3/M4 pipeline refill on a taken branch (1–3; the table's choice)

function regsIn(ops: string): number {
  const m = /\{([^}]*)\}/.exec(ops);
  if (!m) return 1;
  let n = 0;
  for (const part of m[1].split(',')) {
    const r = /r(\d+)\s*-\s*r(\d+)/.exec(part);
    n += r ? Number(r[2]) - Number(r[1]) + 1 : 1;
  }
  return n;
}

interface Cost { base: number; taken: number; conditional: boolean; always: boolean; load: boolean }

function armCost(i: Insn, m0: boolean): Cost {
  const mn = i.mnem.replace(/\.(w|n)$/, '');
  const c: Cost = { base: 1, taken: 0, conditional: false, always: false, load: false };
  const isCondBranch = /^(b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)|cbn?z)$/.test(mn);
  if (isCondBranch) return { ...c, taken: m0 ? 1 : P, conditional: true };
  if (mn === 'b') return { ...c, base: m0 ? 2 : 1 + P, always: true };
  if (mn === 'bl') return { ...c, base: m0 ? 3 : 1 + P, always: true };
  if (mn === 'bx' || mn === 'blx') return { ...c, base: m0 ? 2 : 1 + P, always: true };
  if (/^pop/.test(mn) || /^ldm/.test(mn) || /^stm/.test(mn) || /^push/.test(mn)) {
    const n = regsIn(i.ops);
    const pc = /\bpc\b/.test(i.ops) && !/^(push|stm)/.test(mn);
    return { ...c, base: (m0 && pc ? 3 : 1) + n + (pc && !m0 ? P : 0) };
  }
  if (/^(tbb|tbh)$/.test(mn)) return { ...c, base: 6 };
  if (/^ldrd|^strd/.test(mn)) return { ...c, base: m0 ? 2 : 3 };
  if (/^ldr/.test(mn)) return { ...c, base: 2, load: !m0 && !/\bpc\b/.test(i.ops.split(',')[0]) };
  if (/^str/.test(mn)) return { ...c, base: m0 ? 2 : /\[\s*\w+\s*,\s*r\d+/.test(i.ops) ? 2 : 1 };
  if (/^(s|u)div$/.test(mn)) return { ...c, base: 7 };
  return c;
}

function rvCost(i: Insn): Cost {
  const mn = i.mnem.replace(/^c\./, '');
  const c: Cost = { base: 1, taken: 0, conditional: false, always: false, load: false };
  if (/^b(eq|ne|lt|ge|ltu|geu|eqz|nez|gtz|lez|ltz|gez|gt|le|gtu|leu)$/.test(mn)) return { ...c, taken: 1, conditional: true };
  if (/^(j|jal|jr|jalr|ret|call|tail)$/.test(mn)) return { ...c, base: 2, always: true };
  if (/^l(b|h|w|bu|hu)$/.test(mn)) return { ...c, load: true };
  if (/^(div|divu|rem|remu)$/.test(mn)) return { ...c, base: 34 };
  return c;
}

/**
 * Estimated cycles of the instructions in [lo, hi) (or all), from their execution counts: each instruction's
 * class cost; a conditional branch b followed by f adds P per taken execution, taken ≥ count(b) − count(f).
 * Cortex-M3/M4: a load right after a load costs 1, not 2. RV32: a load adds 1 when the next instruction
 * reads the loaded register.
 */
export function estimateCycles(model: CostModel, insns: readonly Insn[], counts: ReadonlyMap<number, number>, lo = 0, hi = Infinity): number {
  let cycles = 0;
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k];
    if (i.addr < lo || i.addr >= hi) continue;
    const n = counts.get(i.addr) ?? 0;
    if (n === 0) continue;
    const c = model === 'rv32' ? rvCost(i) : armCost(i, model === 'cortex-m0+');
    let base = c.base;
    const prev = insns[k - 1];
    if (model === 'cortex-m3/m4' && c.load && prev && armCost(prev, false).load && prev.addr + prev.size === i.addr) base = 1;
    if (model === 'rv32' && c.load) {
      const rd = i.ops.split(',')[0].trim();
      const next = insns[k + 1];
      if (next && rd && next.ops.split(',').slice(1).some((o) => new RegExp(`(^|\\()${rd}(\\)|$)`).test(o.trim()))) base += 1;
    }
    cycles += n * base;
    if (c.conditional) {
      const f = insns[k + 1];
      const fall = f ? counts.get(f.addr) ?? 0 : 0;
      cycles += Math.max(0, n - fall) * c.taken;
    }
  }
  return cycles;
}
