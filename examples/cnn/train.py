#!/usr/bin/python3
"""Train the bnnc example binarized CNN on Fashion-MNIST and export examples/cnn/cnn.onnx.

    /usr/bin/python3 examples/cnn/train.py                                  # full run
    /usr/bin/python3 examples/cnn/train.py --epochs 1 --out /tmp/cnn-smoke  # quick smoke run

Input: float32 [N,1,28,28] = pixel/255 in [0,1] (no mean/std normalization). Output: logits [N,10].
Writes cnn.onnx and metrics.json next to this script (or into --out).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch.nn as nn  # noqa: E402

import bnn  # noqa: E402


class BinaryCNN(nn.Module):
    """
    conv1  BinaryConv2d(1->c1, 3x3, pad 1) on the real-valued pixels -> BN -> Sign       28x28
    conv2  BinaryConv2d(c1->c2, 3x3, pad 1) -> BN -> MaxPool2d(2) -> Sign               14x14
    conv3  BinaryConv2d(c2->c3, 3x3, pad 1) -> BN -> MaxPool2d(2) -> Sign                7x7
    conv4  BinaryConv2d(c3->c4, 3x3, pad 1) -> BN -> MaxPool2d(2) -> Sign  (floor)       3x3
    Flatten -> BinaryLinear(9*c4 -> fc) -> BN -> Sign -> BinaryLinear(fc -> 10) -> BN (logits)

    Convolutions have no bias (each is followed by a BatchNorm); zero padding, so the padded
    border of a binary (+-1) activation map is 0, not -1. MaxPool sits between BN and Sign
    (BN -> MaxPool -> Sign); since Sign is monotone this equals BN -> Sign -> MaxPool.
    The dense layers keep a bias so that each exports as a single Gemm (transB=1).
    """

    def __init__(self, c1=32, c2=32, c3=64, c4=64, fc=64):
        super().__init__()

        def block(cin, cout, pool):
            layers = [bnn.BinaryConv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)]
            if pool:
                layers.append(nn.MaxPool2d(2))
            return layers + [bnn.BinaryAct()]

        self.net = nn.Sequential(
            *block(1, c1, False), *block(c1, c2, True), *block(c2, c3, True), *block(c3, c4, True),
            nn.Flatten(),
            bnn.BinaryLinear(c4 * 3 * 3, fc), nn.BatchNorm1d(fc), bnn.BinaryAct(),
            bnn.BinaryLinear(fc, 10), nn.BatchNorm1d(10),
        )

    def forward(self, x):
        return self.net(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bnn.add_common_args(ap, epochs=12, lr=1e-2)
    ap.add_argument("--channels", default="32,32,64,64", help="c1,c2,c3,c4")
    ap.add_argument("--fc", type=int, default=64)
    args = ap.parse_args()
    args.out = args.out or HERE
    c = [int(v) for v in args.channels.split(",")]
    desc = (f"BinaryConv3x3(1->{c[0]})+BN+Sign on real-valued pixels; "
            f"BinaryConv3x3({c[0]}->{c[1]})+BN+MaxPool2+Sign; BinaryConv3x3({c[1]}->{c[2]})+BN+MaxPool2+Sign; "
            f"BinaryConv3x3({c[2]}->{c[3]})+BN+MaxPool2+Sign; Flatten; "
            f"BinaryLinear({9 * c[3]}->{args.fc})+BN+Sign; BinaryLinear({args.fc}->10)+BN (logits)")
    bnn.run_example("cnn", lambda: BinaryCNN(*c, fc=args.fc), args,
                    expect_linear=("Conv", "Gemm"), description=desc)


if __name__ == "__main__":
    main()
