// The lowered dialect (IR domain 'bnnc'): packed binary convolution, integer first layer, threshold-and-pack,
// k-bit levels (multi-threshold) and their float table, pooling on bits and on sums, float epilogue,
// softmax and sigmoid with the portable exp32/log32, and the convs fused with their threshold (and pool)
// by the fuse-conv-threshold pass. Their evals are the definition every C back end matches.
import type { OpDef } from '../types.js';
import { AccPool } from './AccPool.js';
import { AddRequant } from './AddRequant.js';
import { BinaryMaxPool } from './BinaryMaxPool.js';
import { BitConcat } from './BitConcat.js';
import { BitSumPool } from './BitSumPool.js';
import { ChannelConcat } from './ChannelConcat.js';
import { IntConvPoolThreshold, IntConvThreshold, XnorConvPoolThreshold, XnorConvThreshold } from './ConvThreshold.js';
import { Dequantize } from './Dequantize.js';
import { Epilogue } from './Epilogue.js';
import { IntConv } from './IntConv.js';
import { LogSoftmax32 } from './LogSoftmax32.js';
import { MultiThreshold } from './MultiThreshold.js';
import { Sigmoid32 } from './Sigmoid32.js';
import { Softmax32 } from './Softmax32.js';
import { SumPool } from './SumPool.js';
import { Threshold } from './Threshold.js';
import { XnorConv } from './XnorConv.js';

export const BNNC_OPS: readonly OpDef[] = [XnorConv, IntConv, Threshold, BinaryMaxPool, AccPool, Epilogue, Softmax32, LogSoftmax32, Sigmoid32,
  MultiThreshold, Dequantize, SumPool, BitSumPool, AddRequant, ChannelConcat, BitConcat, XnorConvThreshold, IntConvThreshold, XnorConvPoolThreshold, IntConvPoolThreshold];
