#!/usr/bin/python3
"""Train the bnnc example Bi-Real-Net-style binary CNN on Fashion-MNIST and export birealnet.onnx.

    /usr/bin/python3 examples/birealnet/train.py                                   # full run
    /usr/bin/python3 examples/birealnet/train.py --epochs 1 --out /tmp/bireal      # quick smoke run

A real-valued shortcut around every binary convolution (Bi-Real Net: x + BN(binconv(sign(x)))), the
shortcut stream held on an explicit 8-bit fake quantizer (x/s -> Round -> Clip(-128, 127) -> *s,
s = 1/16) after every join, so that bnnc can hold it as int8 exactly where the model says.
Input: float32 [N,1,28,28] = pixel/255 in [0,1]. Output: logits [N,10].
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bnn  # noqa: E402

SCALE = 1.0 / 16


class SignGE(torch.autograd.Function):
    """y = +1 where x >= 0, else -1 (sign(0) = +1: the stream is often exactly 0); STE gradient for |x| <= 1.
    Exports as Where(GreaterOrEqual(x, 0), 1, -1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)

    @staticmethod
    def symbolic(g, x):
        zero = g.op("Constant", value_t=torch.tensor(0.0))
        one = g.op("Constant", value_t=torch.tensor(1.0))
        minus = g.op("Constant", value_t=torch.tensor(-1.0))
        return g.op("Where", g.op("GreaterOrEqual", x, zero), one, minus)


class FakeQuant8(torch.autograd.Function):
    """clip(round(x / s), -128, 127) * s, round half to even (torch.round); STE gradient inside the range.
    Exports as Div -> Round -> Clip -> Mul."""

    @staticmethod
    def forward(ctx, x):
        q = torch.clamp(torch.round(x / SCALE), -128, 127)
        ctx.save_for_backward(q)
        return q * SCALE

    @staticmethod
    def backward(ctx, g):
        (q,) = ctx.saved_tensors
        return g * ((q > -128) & (q < 127)).to(g.dtype)

    @staticmethod
    def symbolic(g, x):
        s = g.op("Constant", value_t=torch.tensor(SCALE))
        lo = g.op("Constant", value_t=torch.tensor(-128.0))
        hi = g.op("Constant", value_t=torch.tensor(127.0))
        return g.op("Mul", g.op("Clip", g.op("Round", g.op("Div", x, s)), lo, hi), s)


class Block(nn.Module):
    """x + BN(binconv3x3(sign(x))), or with `down` AvgPool2(x) + BN(binconv3x3 stride 2(sign(x))); quantized."""

    def __init__(self, c, down):
        super().__init__()
        self.down = down
        self.conv = bnn.BinaryConv2d(c, c, 3, stride=2 if down else 1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        skip = F.avg_pool2d(x, 2) if self.down else x
        return FakeQuant8.apply(skip + self.bn(self.conv(SignGE.apply(x))))


class BiRealNet(nn.Module):
    """
    stem   BinaryConv2d(1->c, 3x3, stride 2, pad 1) on the real-valued pixels -> BN -> FakeQuant8   14x14 (the stream)
    4 blocks: 14x14, 14x14, down -> 7x7, 7x7 (each: stream + BN(binconv(sign stream)) -> FakeQuant8;
              a down block: AvgPool2(stream) + BN(binconv stride 2(sign stream)))
    sign -> Flatten -> BinaryLinear(49c -> fc) -> BN -> Sign -> BinaryLinear(fc -> 10) -> BN (logits)
    """

    def __init__(self, c=32, fc=64):
        super().__init__()
        self.stem = nn.Sequential(bnn.BinaryConv2d(1, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c))
        self.blocks = nn.Sequential(*[Block(c, d) for d in (False, False, True, False)])
        self.head = nn.Sequential(bnn.BinaryLinear(49 * c, fc), nn.BatchNorm1d(fc))
        self.out = nn.Sequential(bnn.BinaryLinear(fc, 10), nn.BatchNorm1d(10))

    def forward(self, x):
        x = self.blocks(FakeQuant8.apply(self.stem(x)))
        x = self.head(torch.flatten(SignGE.apply(x), 1))
        return self.out(SignGE.apply(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bnn.add_common_args(ap, epochs=10, lr=1e-2)
    ap.add_argument("--channels", type=int, default=32)
    args = ap.parse_args()
    out = args.out or HERE
    bnn.seed_everything(args.seed, args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    x_train, y_train = bnn.load_fashion_mnist("train")
    x_test, y_test = bnn.load_fashion_mnist("test")
    model = BiRealNet(args.channels)
    print(model)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * ((x_train.shape[0] + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    log, t_start = [], time.time()
    for ep in range(args.epochs):
        t0 = time.time()
        loss, acc = bnn.train_epoch(model, opt, x_train, y_train, args.batch, gen, sched, clip=1.0)
        test_acc = bnn.evaluate(model, x_test, y_test)
        log.append({"epoch": ep + 1, "loss": round(loss, 4), "train_accuracy": round(acc, 4), "test_accuracy": round(test_acc, 4), "seconds": round(time.time() - t0, 1)})
        print(f"epoch {ep + 1:2d}/{args.epochs}  loss {loss:.4f}  train {acc:.4f}  test {test_acc:.4f}  ({time.time() - t0:.1f}s)", flush=True)
    train_seconds = time.time() - t_start
    test_acc = bnn.evaluate(model, x_test, y_test)
    print(f"test accuracy (PyTorch, 10000 images): {test_acc:.4f}; training {train_seconds:.1f}s")
    if args.no_export:
        return
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "birealnet.onnx")
    bnn.export_onnx(model, path, x_test[:1])
    bnn.write_metrics(os.path.join(out, "metrics.json"), {
        "model": "birealnet", "description": BiRealNet.__doc__.strip(),
        "dataset": "Fashion-MNIST test set (/usr/share/datasets/fashion-mnist/t10k-*)",
        "input": "float32 [N,1,28,28] = pixel/255 in [0,1]", "output": "float32 [N,10] logits",
        "test_accuracy": round(test_acc, 4), "train_seconds": round(train_seconds, 1), "epochs": args.epochs,
        "batch_size": args.batch, "optimizer": f"Adam lr {args.lr} cosine-decayed to 0, latent weights clipped to [-1,1]",
        "stream_quantizer": "x/s -> Round -> Clip(-128,127) -> *s, s = 1/16", "parameters": bnn.count_params(model),
        "onnx_bytes": os.path.getsize(path), "torch_version": torch.__version__, "seed": args.seed, "epoch_log": log,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
