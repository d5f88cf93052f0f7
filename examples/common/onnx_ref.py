"""Tiny numpy reference evaluator for the ONNX graphs exported by the bnnc examples.

Only the handful of opset-13 operators the examples emit are implemented, with ONNX semantics
(notably Sign(0) == 0). onnxruntime is not available for the Debian Python, so the training
scripts use this to re-evaluate the exported file independently of PyTorch.
"""

import numpy as np
from onnx import numpy_helper


def _attrs(node):
    import onnx

    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def _conv2d(x, w, b, pads, strides, dilations, group):
    assert group == 1 and tuple(dilations) == (1, 1), "only group=1, dilation=1 implemented"
    n, c, h, wd = x.shape
    m, cw, kh, kw = w.shape
    assert cw == c
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))  # zero padding
    sh, sw = strides
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    # im2col: [n, c*kh*kw, oh*ow]
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    cols = cols.reshape(n, c * kh * kw, oh * ow)
    y = np.matmul(w.reshape(m, -1), cols).reshape(n, m, oh, ow)
    if b is not None:
        y = y + b.reshape(1, m, 1, 1)
    return y


def _maxpool2d(x, kernel, strides, pads, ceil_mode):
    assert not ceil_mode and not any(pads), "only ceil_mode=0, pads=0 implemented"
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    oh = (h - kh) // sh + 1
    ow = (w - kw) // sw + 1
    y = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y = np.maximum(y, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return y


def run(model, x):
    """Evaluate onnx ModelProto `model` on the numpy array x (fed to the single graph input)."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Identity":
            y = ins[0]
        elif op == "Abs":
            y = np.abs(ins[0])
        elif op == "Sign":
            y = np.sign(ins[0])  # sign(0) == 0, as in ONNX
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "ReduceMean":
            axes = tuple(a.get("axes", range(ins[0].ndim)))
            y = ins[0].mean(axis=axes, keepdims=bool(a.get("keepdims", 1)))
        elif op == "Transpose":
            y = np.transpose(ins[0], a.get("perm"))
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Conv":
            b = ins[2] if len(ins) > 2 else None
            y = _conv2d(ins[0], ins[1], b, a.get("pads", [0, 0, 0, 0]), a.get("strides", [1, 1]),
                        a.get("dilations", [1, 1]), a.get("group", 1))
        elif op == "BatchNormalization":
            xx, scale, bias, mean, var = ins
            shape = (1, -1) + (1,) * (xx.ndim - 2)
            eps = a.get("epsilon", 1e-5)
            y = (xx - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) \
                + bias.reshape(shape)
        elif op == "MaxPool":
            y = _maxpool2d(ins[0], a["kernel_shape"], a.get("strides", [1, 1]),
                           a.get("pads", [0, 0, 0, 0]), a.get("ceil_mode", 0))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        else:
            raise NotImplementedError(f"onnx_ref: op {op} not implemented")
        env[node.output[0]] = y.astype(np.float32, copy=False)
    return env[model.graph.output[0].name]


def evaluate(model, x, y, batch_size=100):
    """Returns (accuracy, logits) of the ONNX model on numpy x [N,1,28,28], labels y [N]."""
    outs = [run(model, x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    logits = np.concatenate(outs)
    return float((logits.argmax(1) == y).mean()), logits
