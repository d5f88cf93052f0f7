// Optimized binary kernels (src/backend/kernels/): the group-1 XnorConv, XnorConv + Threshold and XnorConv +
// AccPool + Threshold layers of a CModel become the XnorConvFast template (and a thresholded ±1 IntConv
// IntConvFast), chosen from the target's features, never its name. docs/targets.md ("Optimized binary
// kernels") has the summary; the generated C points here for the derivation, which follows.
// The window: K = KH·KW·Cgw activation words, read at constant offsets from one base pointer, or gathered into
// a local buffer (always when some window crosses the padding: a tap in the padding reads a zero word).
// d = Σ popcount(x XOR w) over the K words; s = E[class][m] − 2d, where the border class (row class × column
// class) of the window fixes E: E = CG·taps inside + 2·Σ popcount(w) over the padded taps + p·Σ w over them
// (p the ±1 pad value), E = CG·KH·KW for an interior window.
// Threshold decision:
//   kind  1: s < T  ⟺ 2d > E − T ⟺ d ≥ ⌊(E − T)/2⌋ + 1            (flip 0)
//   kind −1: s > T  ⟺ 2d < E − T ⟺ ¬(d ≥ ⌈(E − T)/2⌉)              (flip 1)
//   kind  2: bit 0 → never (D above d's range, flip 0); kind −2: bit 1 → D above d's range, flip 1
// so bit = (d ≥ D[class][m]) XOR flip[m], D clamped to [0, dmax + 1]. A max pool before the threshold:
// max_p s_p < T ⟺ AND_p (s_p < T), max_p s_p > T ⟺ OR_p (s_p > T) (min pools the other way round), and
// OR_p b_p = ¬AND_p ¬b_p: per 32 channels, out = AND_p (bits_p XOR fmask) XOR omask.
// d is counted one of two ways:
//   - per channel (TreeGen, kernels/carry-save-tree.ts): a Harley-Seal carry-save tree unrolled for the known K and a weighted SWAR finish
//     (USAD8 with DSP), or a sum of popcount instructions (Zbb cpop); 2 channels per pass share each
//     activation load, 4 with a popcount instruction;
//   - bit-sliced across 32 output channels (kernels/bit-sliced.ts), without a popcount instruction: a lane-wise
//     carry-save count of (weight column XOR activation-bit mask) over the window's bits, compared with D's
//     bit planes by a borrow chain.
export { TreeGen } from './kernels/carry-save-tree.js';
export { selectKernels, type KernelVariant } from './kernels/selection.js';
