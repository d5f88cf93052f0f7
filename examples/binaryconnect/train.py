#!/usr/bin/python3
"""The BinaryConnect recipe on Fashion-MNIST, end to end: train a float CNN, then fine-tune it with
binary weights (latent float weights, alpha*sign(W) in the forward pass, straight-through gradient) and
int8 activations (a fake quantizer, Div -> Round -> Clip -> Mul, which exports as plain ONNX). For
comparison, the same float network is also fine-tuned XNOR-Net style (binary weights and activations).

    /usr/bin/python3 examples/binaryconnect/train.py                                    # full run
    /usr/bin/python3 examples/binaryconnect/train.py --float-epochs 1 --epochs 1 --out /tmp/bc

Writes next to this script (or into --out):
    float.onnx          the float CNN (BN + ReLU activations): bnnc compiles it with
                        --binarize-weights all --calibrate (BinaryConnect without retraining)
    binaryconnect.onnx  fine-tuned: binary weights, uint8 activations as Div/Round/Clip/Mul (exact form)
    binaryconnect-plain.onnx  the same fine-tuned weights without the fake quantizers (bnnc calibrates them)
    xnor.onnx           fine-tuned: binary weights, Sign activations
    metrics.json        accuracies, scales, timings
Input: float32 [N,1,28,28] = pixel/255 (--input-scale 1/255). Output: logits [N,10].
"""

import argparse
import copy
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bnn  # noqa: E402

QMAX = 255  # uint8 activations (after ReLU)


class FakeQuantSTE(torch.autograd.Function):
    """round(clip(x / s, 0, 255)) * s with a straight-through gradient inside the clip range."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(x, s)
        return torch.clamp(torch.round(x / s), 0, QMAX) * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * ((x >= 0) & (x <= s * QMAX)).to(g.dtype), None


class Act(nn.Module):
    """The activation after BN: 'relu' (float), 'quant' (ReLU + uint8 fake quantizer), 'sign' (XNOR).

    The fake quantizer's scale is fixed before fine-tuning (the 99.99th percentile of the float model's
    ReLU outputs on training images, / 255). Exported as Relu -> Div -> Round -> Clip(0, 255) -> Mul."""

    def __init__(self):
        super().__init__()
        self.mode = "relu"
        self.register_buffer("scale", torch.ones(()))
        self.exporting = False

    def forward(self, x):
        if self.mode == "sign":
            return bnn.sign_ste(x)
        x = F.relu(x)
        if self.mode == "relu":
            return x
        if self.exporting:
            return torch.clamp(torch.round(x / self.scale), 0, QMAX) * self.scale
        return FakeQuantSTE.apply(x, self.scale)


class CNN(nn.Module):
    """
    conv1  Conv(1->c1, 3x3, pad 1) on the pixels -> BN -> act -> MaxPool 2      28x28 -> 14x14
    conv2  Conv(c1->c2, 3x3, pad 1)             -> BN -> act -> MaxPool 2      14x14 -> 7x7
    conv3  Conv(c2->c3, 3x3, pad 1)             -> BN -> act -> MaxPool 2       7x7  -> 3x3
    Flatten -> Linear(9*c3 -> fc) -> BN -> act -> Linear(fc -> 10) (logits)
    XNOR mode pools before the sign (BN -> MaxPool -> Sign, as examples/cnn).
    """

    def __init__(self, c1=8, c2=16, c3=32, fc=64):
        super().__init__()
        self.convs = nn.ModuleList([bnn.BinaryConv2d(a, b, 3, padding=1, bias=False) for a, b in ((1, c1), (c1, c2), (c2, c3))])
        self.bns = nn.ModuleList([nn.BatchNorm2d(c) for c in (c1, c2, c3)])
        self.fc1 = bnn.BinaryLinear(9 * c3, fc)
        self.bn_fc = nn.BatchNorm1d(fc)
        self.fc2 = bnn.BinaryLinear(fc, 10)
        self.acts = nn.ModuleList([Act() for _ in range(4)])

    def forward(self, x):
        for conv, bn, act in zip(self.convs, self.bns, self.acts):
            x = bn(conv(x))
            x = act(F.max_pool2d(x, 2)) if act.mode == "sign" else F.max_pool2d(act(x), 2)
        x = self.acts[3](self.bn_fc(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)

    def set_mode(self, weights_binary, act_mode):
        for m in (*self.convs, self.fc1, self.fc2):
            m.binary = weights_binary
        for a in self.acts:
            a.mode = act_mode


@torch.no_grad()
def set_quant_scales(model, x, pct=0.9999):
    """Each fake quantizer's scale: the pct quantile of its float ReLU output over images x, / 255."""
    outs = []
    hooks = [a.register_forward_hook(lambda _m, _i, o: outs.append(o.flatten())) for a in model.acts]
    model.eval()
    model(x)
    for h in hooks:
        h.remove()
    scales = []
    for a, o in zip(model.acts, outs):
        v = torch.quantile(o[torch.randperm(o.numel(), generator=torch.Generator().manual_seed(0))[:1_000_000]], pct)
        a.scale.fill_(float(v) / QMAX)
        scales.append(float(a.scale))
    return scales


def phase(label, model, data, epochs, lr, gen, clip, log):
    x_train, y_train, x_test, y_test = data
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((x_train.shape[0] + 127) // 128)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for ep in range(epochs):
        t0 = time.time()
        loss, acc = bnn.train_epoch(model, opt, x_train, y_train, 128, gen, sched, clip=clip)
        test_acc = bnn.evaluate(model, x_test, y_test)
        row = {"phase": label, "epoch": ep + 1, "loss": round(loss, 4), "train_accuracy": round(acc, 4),
               "test_accuracy": round(test_acc, 4), "seconds": round(time.time() - t0, 1)}
        log.append(row)
        print(f"[{label}] epoch {ep + 1}/{epochs}  loss {loss:.4f}  train {acc:.4f}  test {test_acc:.4f}  ({row['seconds']}s)", flush=True)
    return bnn.evaluate(model, x_test, y_test)


def export(model, path, x):
    for a in model.acts:
        a.exporting = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bnn.export_onnx(model, path, x)
    for a in model.acts:
        a.exporting = False
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return [n.op_type for n in m.graph.node]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--float-epochs", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs of each binary variant")
    ap.add_argument("--lr", type=float, default=3e-3, help="Adam lr of the float phase (cosine-decayed to 0)")
    ap.add_argument("--finetune-lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    bnn.seed_everything(args.seed, 1)
    gen = torch.Generator().manual_seed(args.seed)
    x_train, y_train = bnn.load_fashion_mnist("train")
    x_test, y_test = bnn.load_fashion_mnist("test")
    data = (x_train, y_train, x_test, y_test)
    os.makedirs(args.out, exist_ok=True)
    log, t0 = [], time.time()

    model = CNN()
    model.set_mode(False, "relu")
    float_acc = phase("float", model, data, args.float_epochs, args.lr, gen, None, log)
    ops = {"float": export(model, os.path.join(args.out, "float.onnx"), x_test[:1])}
    pretrained = copy.deepcopy(model.state_dict())

    # BinaryConnect: binary weights, uint8 activations (fake quantizer with fixed scales)
    scales = set_quant_scales(model, x_train[:2000])  # on the float model's ReLU outputs
    model.set_mode(True, "quant")
    bnn.clip_latent_weights(model)
    bc_acc = phase("binaryconnect", model, data, args.epochs, args.finetune_lr, gen, 1.0, log)
    ops["binaryconnect"] = export(model, os.path.join(args.out, "binaryconnect.onnx"), x_test[:1])
    model.set_mode(True, "relu")
    bc_plain_acc = bnn.evaluate(model, x_test, y_test)
    ops["binaryconnect-plain"] = export(model, os.path.join(args.out, "binaryconnect-plain.onnx"), x_test[:1])

    # XNOR-Net: binary weights and activations, from the same float model
    model.load_state_dict(pretrained)
    model.set_mode(True, "sign")
    bnn.clip_latent_weights(model)
    xnor_acc = phase("xnor", model, data, args.epochs, args.finetune_lr, gen, 1.0, log)
    ops["xnor"] = export(model, os.path.join(args.out, "xnor.onnx"), x_test[:1])

    metrics = {
        "model": "binaryconnect",
        "dataset": "Fashion-MNIST test set (/usr/share/datasets/fashion-mnist/t10k-*)",
        "input": "float32 [N,1,28,28] = pixel/255 in [0,1]",
        "output": "float32 [N,10] logits (argmax = class)",
        "test_images": int(x_test.shape[0]),
        "test_accuracy_float": round(float_acc, 4),
        "test_accuracy_binaryconnect": round(bc_acc, 4),
        "test_accuracy_binaryconnect_without_quantizer": round(bc_plain_acc, 4),
        "test_accuracy_xnor": round(xnor_acc, 4),
        "activation_scales": scales,
        "train_seconds": round(time.time() - t0, 1),
        "float_epochs": args.float_epochs,
        "finetune_epochs": args.epochs,
        "optimizer": f"Adam, batch 128, lr {args.lr} (float) / {args.finetune_lr} (fine-tuning), cosine to 0 per phase; latent weights clipped to [-1,1] when binary",
        "parameters": bnn.count_params(model),
        "onnx_ops": ops,
        "torch_version": torch.__version__,
        "seed": args.seed,
        "epoch_log": log,
    }
    bnn.write_metrics(os.path.join(args.out, "metrics.json"), metrics)
    print({k: v for k, v in metrics.items() if k.startswith("test_accuracy")}, f"{metrics['train_seconds']} s")


if __name__ == "__main__":
    main()
