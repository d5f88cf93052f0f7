// The carry-save-adder tree generator alone: its C for K = 1…100 words (unrolled, and the block loop above
// 64) against a plain popcount loop, on random words, compiled with the host gcc.
import { expect, it } from 'vitest';
import { hasTool } from '../helpers/resources.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TreeGen } from '../../src/backend/kernels.js';
it.skipIf(!hasTool('gcc'))('Harley-Seal sums equal plain popcount sums for every K', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bnnc-tree-'));
  let src = '#include <stdint.h>\n#include <stdio.h>\nstatic inline int32_t bnnc_popcount(uint32_t x){return __builtin_popcount(x);}\n';
  for (const K of [1,2,3,4,5,8,9,18,25,70,100]) {
    const g = new TreeGen(false, false);
    g.sums(K, 2, (k) => `xb[${k}]`, (c, k) => `w0[${c ? (typeof k === 'number' ? K + k : `${K} + ${k}`) : k}]`, (c) => `d${c}`);
    src += `static void f${K}(const uint32_t *xb, const uint32_t *w0, int32_t *o){ int32_t d0, d1, k; ${g.declarations()}\n${g.lines.join('\n')}\n o[0]=d0; o[1]=d1; (void)k; }\n`;
  }
  src += 'int main(void){ uint32_t x[200], w[400]; int32_t o[2]; uint32_t s=1; int bad=0; for(int it=0;it<50;it++){ for(int i=0;i<200;i++){s=s*1103515245u+12345u; x[i]=s^(s>>13);} for(int i=0;i<400;i++){s=s*1103515245u+12345u; w[i]=s^(s<<7);}\n';
  for (const K of [1,2,3,4,5,8,9,18,25,70,100]) src += `f${K}(x,w,o); { int e0=0,e1=0; for(int k=0;k<${K};k++){e0+=__builtin_popcount(x[k]^w[k]); e1+=__builtin_popcount(x[k]^w[${K}+k]);} if(e0!=o[0]||e1!=o[1]){ printf("K=${K} %d %d vs %d %d\\n",o[0],o[1],e0,e1); bad=1;} }\n`;
  src += '} return bad; }\n';
  writeFileSync(tmp + '/tree.c', src);
  execFileSync('gcc', ['-O1', '-w', '-o', tmp + '/tree', tmp + '/tree.c']);
  let out = '';
  try { out = execFileSync(tmp + '/tree', { encoding: 'utf8' }); } catch (e) { out = (e as { stdout: string }).stdout || 'failed'; }
  expect(out).toBe('');
});
