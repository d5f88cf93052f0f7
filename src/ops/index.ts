// The op registry: every op bnnc knows, imported explicitly. Adding an op touches its file, one line
// here, its template (if lowered) and its test.
import type { OpDef } from './types.js';

import { Abs } from './Abs.js';
import { Add } from './Add.js';
import { ArgMax } from './ArgMax.js';
import { AveragePool } from './AveragePool.js';
import { BatchNormalization } from './BatchNormalization.js';
import { Cast } from './Cast.js';
import { Clip } from './Clip.js';
import { Concat } from './Concat.js';
import { Conv } from './Conv.js';
import { Div } from './Div.js';
import { Dropout } from './Dropout.js';
import { Flatten } from './Flatten.js';
import { Gather } from './Gather.js';
import { Gemm } from './Gemm.js';
import { GlobalAveragePool } from './GlobalAveragePool.js';
import { Greater } from './Greater.js';
import { GreaterOrEqual } from './GreaterOrEqual.js';
import { Identity } from './Identity.js';
import { Less } from './Less.js';
import { LessOrEqual } from './LessOrEqual.js';
import { LogSoftmax } from './LogSoftmax.js';
import { MatMul } from './MatMul.js';
import { MaxPool } from './MaxPool.js';
import { Mul } from './Mul.js';
import { Neg } from './Neg.js';
import { Pad } from './Pad.js';
import { Pow } from './Pow.js';
import { PRelu } from './PRelu.js';
import { ReduceMean } from './ReduceMean.js';
import { ReduceSum } from './ReduceSum.js';
import { Relu } from './Relu.js';
import { Reshape } from './Reshape.js';
import { Round } from './Round.js';
import { Shape } from './Shape.js';
import { Sigmoid } from './Sigmoid.js';
import { Sign } from './Sign.js';
import { Softmax } from './Softmax.js';
import { Sqrt } from './Sqrt.js';
import { Squeeze } from './Squeeze.js';
import { Sub } from './Sub.js';
import { TopK } from './TopK.js';
import { Transpose } from './Transpose.js';
import { Unsqueeze } from './Unsqueeze.js';
import { Where } from './Where.js';

import { BipolarQuant } from './qonnx/BipolarQuant.js';
import { MultiThreshold } from './qonnx/MultiThreshold.js';
import { Quant } from './qonnx/Quant.js';
import { XnorPopcountMatMul } from './qonnx/XnorPopcountMatMul.js';

import { BNNC_OPS } from './bnnc/index.js';

const ALL: readonly OpDef[] = [
  Abs, Add, ArgMax, AveragePool, BatchNormalization, Cast, Clip, Concat, Conv, Div, Dropout, Flatten, Gather,
  Gemm, GlobalAveragePool, Greater, GreaterOrEqual, Identity, Less, LessOrEqual, LogSoftmax, MatMul, MaxPool,
  Mul, Neg, Pad, Pow, PRelu, ReduceMean, ReduceSum, Relu, Reshape, Round, Shape, Sigmoid, Sign, Softmax, Sqrt, Squeeze, Sub, TopK,
  Transpose, Unsqueeze, Where,
  BipolarQuant, MultiThreshold, Quant, XnorPopcountMatMul,
  ...BNNC_OPS,
];

const BY_KEY = new Map<string, OpDef>(ALL.map((d) => [`${d.domain}::${d.op}`, d]));

export function lookupOp(domain: string, op: string): OpDef | undefined {
  return BY_KEY.get(`${domain}::${op}`);
}

/** For docs and `bnnc inspect`: every supported (domain, op). */
export function supportedOps(): readonly OpDef[] {
  return ALL;
}
