"""Shared code for the bnnc example networks (PyTorch 1.13, ONNX opset 13).

Contents
--------
* ``SignSTE``       sign() with a straight-through-estimator gradient; exports as ONNX ``Sign``.
* ``binarize_weight``  XNOR-Net style weight binarizer ``alpha * sign(W)`` with a per-output-channel
                    ``alpha = mean(|W|)``; exports as ``Abs -> ReduceMean`` and ``Sign`` joined by ``Mul``.
* ``BinaryLinear`` / ``BinaryConv2d``  nn.Linear / nn.Conv2d whose forward uses the binarized weight.
* ``BinaryAct``     activation module: ``Sign`` (binary mode) or ``Hardtanh`` (float pre-training mode).
* Fashion-MNIST idx loader (reads the Debian package files, no download).
* training / evaluation / export helpers, and a check of the exported graph.

Every script calls ``/usr/bin/python3`` (the Debian interpreter that ships torch + onnx).
"""

import argparse
import gzip
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# --------------------------------------------------------------------------------------------
# Binarization primitives
# --------------------------------------------------------------------------------------------

class SignSTE(torch.autograd.Function):
    """y = sign(x) (so sign(0) == 0, exactly like ONNX Sign); dy/dx = 1 for |x| <= 1 else 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.abs() <= 1).to(grad_output.dtype)

    @staticmethod
    def symbolic(g, x):
        return g.op("Sign", x)


def sign_ste(x):
    return SignSTE.apply(x)


def binarize_weight(w):
    """alpha * sign(W) with alpha = mean |W| over every dim but the output-channel dim 0.

    Exported (with do_constant_folding=False) as
        W -> Abs -> ReduceMean(axes=[1..], keepdims=1) -+
        W -> Sign --------------------------------------+-> Mul -> (Gemm | Conv | MatMul)
    """
    dims = tuple(range(1, w.dim()))
    alpha = w.abs().mean(dim=dims, keepdim=True)
    return alpha * SignSTE.apply(w)


class BinaryLinear(nn.Linear):
    """nn.Linear whose forward uses alpha*sign(W). ``binary=False`` uses the latent float weight."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias=bias)
        self.binary = True

    def forward(self, x):
        w = binarize_weight(self.weight) if self.binary else self.weight
        return F.linear(x, w, self.bias)


class BinaryConv2d(nn.Conv2d):
    """nn.Conv2d whose forward uses alpha*sign(W). Zero padding only (ONNX Conv ``pads``)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=padding, bias=bias, padding_mode="zeros")
        self.binary = True

    def forward(self, x):
        w = binarize_weight(self.weight) if self.binary else self.weight
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class BinaryAct(nn.Module):
    """Binary activation: SignSTE (exports as ONNX Sign). ``binary=False`` -> Hardtanh (float)."""

    def __init__(self):
        super().__init__()
        self.binary = True

    def forward(self, x):
        return SignSTE.apply(x) if self.binary else F.hardtanh(x)


def set_binary(model, flag):
    """Switch every Binary* module between binary mode and float (pre-training) mode."""
    for m in model.modules():
        if isinstance(m, (BinaryLinear, BinaryConv2d, BinaryAct)):
            m.binary = flag


def clip_latent_weights(model, bound=1.0):
    """BinaryConnect trick: keep the latent float weights of binary layers within [-bound, bound]."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (BinaryLinear, BinaryConv2d)):
                m.weight.clamp_(-bound, bound)


def count_params(model):
    return int(sum(p.numel() for p in model.parameters()))


# --------------------------------------------------------------------------------------------
# Determinism and data
# --------------------------------------------------------------------------------------------

def seed_everything(seed, threads=2):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    assert magic >> 8 == 0x08, f"{path}: not an unsigned-byte idx file"
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(split, root=FASHION_DIR):
    """Return (x, y): x float32 [N,1,28,28] = pixel/255 in [0,1], y int64 [N]. split: 'train'|'test'."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def augment_shift(x, gen, max_shift=2):
    """Random translation by up to max_shift pixels (zero fill), one shift per batch sample."""
    n = x.shape[0]
    pad = F.pad(x, (max_shift,) * 4)
    sx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    sy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    h, w = x.shape[2], x.shape[3]
    for i in range(n):
        out[i] = pad[i, :, sy[i]:sy[i] + h, sx[i]:sx[i] + w]
    return out


def random_hflip(x, gen):
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = x.clone()
    x[flip] = x[flip].flip(-1)
    return x


# --------------------------------------------------------------------------------------------
# Training / evaluation
# --------------------------------------------------------------------------------------------

def train_epoch(model, opt, x, y, batch_size, gen, scheduler=None, clip=1.0, augment=None):
    """One epoch over (x, y) in a seeded permutation. Returns (mean loss, train accuracy)."""
    model.train()
    perm = torch.randperm(x.shape[0], generator=gen)
    total_loss, correct, seen = 0.0, 0, 0
    for start in range(0, x.shape[0], batch_size):
        idx = perm[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        if augment is not None:
            xb = augment(xb, gen)
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if clip is not None:
            clip_latent_weights(model, clip)
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * yb.shape[0]
        correct += (logits.argmax(1) == yb).sum().item()
        seen += yb.shape[0]
    return total_loss / seen, correct / seen


@torch.no_grad()
def predict_logits(model, x, batch_size=1000):
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)])


@torch.no_grad()
def evaluate(model, x, y, batch_size=1000):
    """Accuracy (fraction) of model on (x, y) in eval mode."""
    return (predict_logits(model, x, batch_size).argmax(1) == y).float().mean().item()


@torch.no_grad()
def count_sign_zero_inputs(model, x, batch_size=1000):
    """How many inputs of binary activations (ONNX Sign nodes on activations) are exactly 0.0."""
    counter = {"zeros": 0, "total": 0}

    def hook(_mod, inp, _out):
        counter["zeros"] += int((inp[0] == 0).sum())
        counter["total"] += inp[0].numel()

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, BinaryAct)]
    predict_logits(model, x, batch_size)
    for h in hs:
        h.remove()
    return counter


def count_zero_latent_weights(model):
    return int(sum(int((m.weight == 0).sum()) for m in model.modules()
                   if isinstance(m, (BinaryLinear, BinaryConv2d))))


# --------------------------------------------------------------------------------------------
# ONNX export and checks
# --------------------------------------------------------------------------------------------

def export_onnx(model, path, example_input):
    """Export to plain ONNX: opset 13, input 'input' [N,...], output 'logits' [N,10], batch axis 'N'.

    do_constant_folding=False keeps the Abs/ReduceMean/Sign/Mul weight-binarization subgraph over
    the latent float weight initializers (otherwise it would be folded into float constants)."""
    model.eval()
    torch.onnx.export(
        model, example_input, path,
        export_params=True,
        opset_version=13,
        do_constant_folding=False,
        training=torch.onnx.TrainingMode.EVAL,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )


def check_onnx(path, expect_linear=("Gemm", "Conv", "MatMul")):
    """onnx.checker + structural assertions. Returns (model, list of op types in node order)."""
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    for op in ("Abs", "ReduceMean", "Sign", "Mul"):
        assert op in ops, f"{path}: exported graph lacks {op}: {ops}"
    assert any(op in ops for op in expect_linear), f"{path}: no Gemm/Conv/MatMul: {ops}"
    assert m.opset_import[0].version == 13, m.opset_import
    assert [i.name for i in m.graph.input] == ["input"], [i.name for i in m.graph.input]
    assert [o.name for o in m.graph.output] == ["logits"], [o.name for o in m.graph.output]
    # Every Gemm/Conv/MatMul weight operand must be the output of a binarization Mul whose
    # operands are a ReduceMean(Abs(W)) and a Sign(W) of the same latent initializer W.
    producer = {o: n for n in m.graph.node for o in n.output}
    inits = {i.name for i in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type not in expect_linear:
            continue
        w = n.input[1]
        mul = producer.get(w)
        if mul is not None and mul.op_type == "Transpose":  # MatMul form: Transpose(Mul(...))
            mul = producer.get(mul.input[0])
        assert mul is not None and mul.op_type == "Mul", f"{n.name}: weight not from a Mul"
        kinds = sorted(producer[i].op_type for i in mul.input)
        assert kinds == ["ReduceMean", "Sign"], f"{n.name}: Mul inputs are {kinds}"
        srcs = set()
        for i in mul.input:
            p = producer[i]
            if p.op_type == "ReduceMean":
                p = producer[p.input[0]]
                assert p.op_type == "Abs"
            srcs.add(p.input[0])
        assert len(srcs) == 1 and srcs <= inits, f"{n.name}: not over one latent initializer {srcs}"
    return m, ops


def write_metrics(path, metrics):
    with open(path, "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")


# --------------------------------------------------------------------------------------------
# Whole pipeline shared by examples/*/train.py
# --------------------------------------------------------------------------------------------

def add_common_args(ap, epochs, float_epochs=0, batch=128, lr=1e-3, seed=0, augment=False):
    ap.add_argument("--epochs", type=int, default=epochs, help="binary training epochs")
    ap.add_argument("--float-epochs", type=int, default=float_epochs,
                    help="full-precision pre-training epochs (float weights, Hardtanh) before binarizing")
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr, help="Adam learning rate (cosine-decayed to 0)")
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--augment", action=argparse.BooleanOptionalAction, default=augment,
                    help="random horizontal flip + shift by up to 2 px during training")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="output directory (default: the script's directory)")
    ap.add_argument("--no-export", action="store_true",
                    help="experiments only: train and evaluate, write no ONNX / metrics file")


def _augment(xb, gen):
    return augment_shift(random_hflip(xb, gen), gen, 2)


def _phase(label, model, x_train, y_train, x_test, y_test, epochs, args, gen, clip, log):
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = epochs * ((x_train.shape[0] + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for ep in range(epochs):
        t0 = time.time()
        loss, acc = train_epoch(model, opt, x_train, y_train, args.batch, gen, sched, clip=clip,
                                augment=_augment if args.augment else None)
        test_acc = evaluate(model, x_test, y_test)
        row = {"phase": label, "epoch": ep + 1, "loss": round(loss, 4), "train_accuracy": round(acc, 4),
               "test_accuracy": round(test_acc, 4), "seconds": round(time.time() - t0, 1)}
        log.append(row)
        print(f"[{label}] epoch {ep + 1:2d}/{epochs}  loss {loss:.4f}  train {acc:.4f}  "
              f"test {test_acc:.4f}  ({row['seconds']:.1f}s)", flush=True)


def run_example(name, model_fn, args, expect_linear, description):
    """Train (optional float pre-training, then binary), evaluate, export <out>/<name>.onnx, re-load
    and check it, evaluate it with the numpy reference evaluator, write <out>/metrics.json."""
    import warnings

    import onnx_ref

    seed_everything(args.seed, args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    x_train, y_train = load_fashion_mnist("train")
    x_test, y_test = load_fashion_mnist("test")
    print(f"train {tuple(x_train.shape)}  test {tuple(x_test.shape)}  torch {torch.__version__}  "
          f"threads {torch.get_num_threads()}  seed {args.seed}")

    model = model_fn()
    n_params = count_params(model)
    print(model)
    print(f"parameters: {n_params}")

    log = []
    t_start = time.time()
    float_acc = None
    if args.float_epochs > 0:
        set_binary(model, False)
        _phase("float", model, x_train, y_train, x_test, y_test, args.float_epochs, args, gen, None, log)
        float_acc = evaluate(model, x_test, y_test)
        set_binary(model, True)
        clip_latent_weights(model)
    _phase("binary", model, x_train, y_train, x_test, y_test, args.epochs, args, gen, 1.0, log)
    train_seconds = time.time() - t_start

    binary_acc = evaluate(model, x_test, y_test)
    zeros = count_sign_zero_inputs(model, x_test)
    zero_w = count_zero_latent_weights(model)
    print(f"test accuracy of the binary model (PyTorch, 10000 images): {binary_acc:.4f}"
          + (f"   (float pre-training reached {float_acc:.4f})" if float_acc is not None else ""))
    print(f"training time {train_seconds:.1f}s")
    print(f"exact zeros at activation Sign inputs over the test set: {zeros['zeros']} / {zeros['total']}; "
          f"latent weights exactly 0: {zero_w}")

    if args.no_export:
        return {"test_accuracy": binary_acc, "train_seconds": train_seconds}

    out = args.out
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch 1.13 g.op deprecation notice
        export_onnx(model, onnx_path, x_test[:1])

    # ---- re-load and check the exported file --------------------------------------------------
    onnx_model, ops = check_onnx(onnx_path, expect_linear=expect_linear)
    print(f"exported {onnx_path} ({os.path.getsize(onnx_path)} bytes), {len(ops)} nodes:")
    print("  " + " -> ".join(ops))
    onnx_acc, onnx_logits = onnx_ref.evaluate(onnx_model, x_test.numpy(), y_test.numpy())
    torch_logits = predict_logits(model, x_test).numpy()
    max_diff = float(np.abs(onnx_logits - torch_logits).max())
    agree = float((onnx_logits.argmax(1) == torch_logits.argmax(1)).mean())
    # A Sign input within float rounding of 0 can flip between two evaluators that sum in a
    # different order; count the test images whose logits are affected by such a flip.
    n_flipped = int((np.abs(onnx_logits - torch_logits).max(1) > 1e-3).sum())
    print(f"numpy reference evaluation of the ONNX file: accuracy {onnx_acc:.4f}, "
          f"max |logit diff| vs torch {max_diff:.2e}, argmax agreement {agree:.4f}, "
          f"images with a rounding-induced sign flip {n_flipped}")
    assert agree >= 0.998 and abs(onnx_acc - binary_acc) <= 0.002, "ONNX file disagrees with torch"

    metrics = {
        "model": name,
        "description": description,
        "dataset": "Fashion-MNIST test set (/usr/share/datasets/fashion-mnist/t10k-*)",
        "input": "float32 [N,1,28,28] = pixel/255 in [0,1], no mean/std normalization",
        "output": "float32 [N,10] logits (argmax = class)",
        "test_images": int(x_test.shape[0]),
        "test_accuracy": round(binary_acc, 4),
        "test_accuracy_onnx_numpy_reference": round(onnx_acc, 4),
        "test_accuracy_float_pretraining": None if float_acc is None else round(float_acc, 4),
        "train_seconds": round(train_seconds, 1),
        "epochs": args.epochs,
        "float_pretraining_epochs": args.float_epochs,
        "batch_size": args.batch,
        "optimizer": f"Adam lr {args.lr} cosine-decayed to 0 per phase, latent weights clipped to [-1,1]",
        "augmentation": "hflip + shift<=2px" if args.augment else None,
        "parameters": n_params,
        "onnx_file": os.path.basename(onnx_path),
        "onnx_bytes": os.path.getsize(onnx_path),
        "onnx_opset": 13,
        "onnx_ops": ops,
        "sign_zero_inputs_on_test_set": zeros["zeros"],
        "sign_inputs_on_test_set": zeros["total"],
        "latent_weights_exactly_zero": zero_w,
        "onnx_numpy_vs_torch": {"max_abs_logit_diff": round(max_diff, 6), "argmax_agreement": agree,
                                "images_with_rounding_sign_flip": n_flipped},
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "epoch_log": log,
    }
    write_metrics(os.path.join(out, "metrics.json"), metrics)
    print(f"wrote {os.path.join(out, 'metrics.json')}")
    return metrics
