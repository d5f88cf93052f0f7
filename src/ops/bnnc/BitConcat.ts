// BitConcat: packed ±1 activations joined along their channels (ChannelConcat.ts holds both forms).
import { concatOp } from './ChannelConcat.js';

export const BitConcat = concatOp(true);
