#!/usr/bin/python3
"""Train the bnnc example binarized MLP on Fashion-MNIST and export examples/mlp/mlp.onnx.

    /usr/bin/python3 examples/mlp/train.py                                  # full run
    /usr/bin/python3 examples/mlp/train.py --epochs 1 --out /tmp/mlp-smoke  # quick smoke run

Input: float32 [N,1,28,28] = pixel/255 in [0,1] (no mean/std normalization). Output: logits [N,10].
Writes mlp.onnx and metrics.json next to this script (or into --out).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch.nn as nn  # noqa: E402

import bnn  # noqa: E402


class BinaryMLP(nn.Module):
    """Flatten -> [BinaryLinear -> BN -> Sign] x (1 + hidden_layers) -> BinaryLinear -> BN.

    Every BinaryLinear has a bias so that each layer exports as a single ONNX Gemm (transB=1)
    whose B operand is alpha*sign(W) (without a bias PyTorch 1.13 exports Transpose + MatMul);
    the bias in front of a BatchNorm is redundant but harmless. The first layer reads the
    real-valued pixels (inputs NOT binarized); the last layer's output is NOT binarized
    (BatchNorm1d(10) acts as a learned per-class scale/offset of the logits).
    """

    def __init__(self, hidden=256, hidden_layers=1):
        super().__init__()
        layers = [nn.Flatten()]
        width_in = 28 * 28
        for _ in range(1 + hidden_layers):
            layers += [bnn.BinaryLinear(width_in, hidden), nn.BatchNorm1d(hidden), bnn.BinaryAct()]
            width_in = hidden
        layers += [bnn.BinaryLinear(width_in, 10), nn.BatchNorm1d(10)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bnn.add_common_args(ap, epochs=20)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--hidden-layers", type=int, default=1)
    args = ap.parse_args()
    args.out = args.out or HERE
    desc = (f"Flatten; BinaryLinear(784->{args.hidden})+BN+Sign on real-valued pixels; "
            f"{args.hidden_layers} x [BinaryLinear({args.hidden}->{args.hidden})+BN+Sign]; "
            f"BinaryLinear({args.hidden}->10)+BN (logits, not binarized)")
    bnn.run_example("mlp", lambda: BinaryMLP(args.hidden, args.hidden_layers), args,
                    expect_linear=("Gemm",), description=desc)


if __name__ == "__main__":
    main()
