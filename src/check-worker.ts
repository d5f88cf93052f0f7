// A worker thread of `bnnc check` (src/check.ts, checkModelThreaded): it receives both models once, then
// chunks of samples, and answers each chunk with its sample results in order, or with the error it raised
// (a CompileError as its code, detail and place, so the main thread raises the very same error).
import { parentPort, workerData } from 'node:worker_threads';
import { CheckPlan, type ChunkReply, type ChunkRequest, type ReferenceModel } from './check.js';
import { CompileError } from './errors.js';
import type { Graph } from './ir/types.js';

const { float, lowered, refs } = workerData as { float: Graph; lowered: Graph; refs?: ReferenceModel[] };
const plan = new CheckPlan(float, lowered, refs);
parentPort!.on('message', (m: ChunkRequest) => {
  let reply: ChunkReply;
  try {
    reply = { first: m.first, results: m.samples.map((s) => plan.sample(s)) };
  } catch (e) {
    reply = e instanceof CompileError
      ? { first: m.first, compileError: { code: e.code, detail: e.detail, where: e.where } }
      : { first: m.first, error: { message: (e as Error).message, stack: (e as Error).stack } };
  }
  parentPort!.postMessage(reply);
});
