// Text rendering of a BenchReport: one row per layer, a total row, flash and RAM lines (markdown table).
import type { BenchReport } from './bench.js';
import { formatChipBench } from './estimate.js';

const int = (v: number | undefined) => (v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));
const dec = (v: number | undefined, d = 2) => (v === undefined ? '—' : v.toFixed(d));

export function formatBench(r: BenchReport): string {
  const out: string[] = [];
  out.push(`bnnc bench: ${r.graph} on ${r.target} (${r.core}), ${r.kernels} kernels${r.ran ? (r.exact ? ', outputs bit-exact' : ', OUTPUTS DIFFER') : ', not run'}`);
  out.push('');
  out.push('| # | layer | kernel | binary MACs | instructions | MACs/instr | instr/32 MACs | cycles (estimate) | code B | weights B | thresholds B |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const l of r.layers) {
    out.push(`| ${l.index} | ${l.title.replace(/\|/g, '/')} | ${l.kernel} | ${int(l.binaryMacs || undefined)}${l.intMacs ? ` (int ${int(l.intMacs)})` : ''} | ${r.ran ? int(l.instructions) : '—'} | ${dec(l.binaryMacsPerInstruction)} | ${dec(l.instructionsPer32BinaryMacs)} | ${int(l.cyclesEstimate)} | ${int(l.codeBytes)} | ${int(l.weightBytes)} | ${int(l.thresholdBytes)} |`);
  }
  const t = r.total;
  out.push(`| | **inference** | | ${int(t.binaryMacs)} | ${int(t.instructions)} | ${dec(t.binaryMacsPerInstruction)} | ${dec(t.instructionsPer32BinaryMacs)} | ${int(t.cyclesEstimate)} | | | |`);
  out.push('');
  out.push(`binary layers: ${int(t.binaryLayerInstructions)} instructions for ${int(t.binaryMacs)} binary MACs (${dec(t.instructionsPer32BinaryMacs)} per 32)`);
  out.push(`flash: ${int(r.flash.total)} B = weights ${int(r.flash.weights)} + thresholds ${int(r.flash.thresholds)} + other constants ${int(r.flash.otherConst)} + code ${int(r.flash.code)}`);
  out.push(`RAM: arena ${int(r.ram.arena)} B${r.ram.arenaLowerBound === undefined ? '' : ` (lower bound ${int(r.ram.arenaLowerBound)} B: the values live at once)`}, model data ${int(r.ram.staticData)} B, stack ${int(r.ram.stack)} B (painted), peak ${int(r.ram.peak)} B`);
  if (r.chip) out.push(...formatChipBench(r.chip));
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
