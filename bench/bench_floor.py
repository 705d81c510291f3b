"""How fast can numpy itself run these training steps? Each model of ``bench_models.py`` (MLP-BN,
LeNet-BN, the CIFAR BN net) trained by a hand-written numpy step, beside minigrad and PyTorch.

The hand-written step has no autograd and no graph: forward and backward are written out in
numpy with the closed-form BatchNorm gradient, elementwise passes done in place where they
can be, activations kept in channel-major (C, N, H, W) layout so that per-channel work reads
contiguous memory, and OpenBLAS on both cores. It is what a careful person writes by hand for
these networks; an engine that records primitives and derives BatchNorm's gradient cannot
beat it. So its time splits minigrad's gap to PyTorch in two:

* hand-written numpy / PyTorch: what numpy costs (one memory pass per ufunc call, no fusion);
* minigrad / hand-written numpy: what the engine costs (derived BatchNorm, recorded graph,
  Python per op).

Its gradients are checked against minigrad's before timing (the largest relative difference
is printed), so the time is that of a correct step.

    python bench/bench_floor.py [--steps 20] [--only mlp lenet cifar]
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

import numpy as np
from bench_models import LABELS, MODELS, measure, steps_for
from numpy.lib.stride_tricks import sliding_window_view

import minigrad
from minigrad import nn

EPS = 1e-5


def im2col(x: np.ndarray) -> np.ndarray:
    """(C, N, H, W) channel-major input -> (C*9, N*H*W) columns of a 3x3, padding-1 conv."""
    c, n, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (C, N, H, W, 3, 3), a view
    return np.ascontiguousarray(windows.transpose(0, 4, 5, 1, 2, 3)).reshape(c * 9, n * h * w)


def col2im(columns: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of ``im2col``: add each kernel offset's columns back into the image, the
    part of it that lands inside (the padding's share is dropped), into a contiguous array."""
    c, n, h, w = shape
    blocks = columns.reshape(c, 3, 3, n, h, w)
    image = blocks[:, 1, 1].copy()  # the centre offset covers the whole image
    for i in range(3):
        for j in range(3):
            if (i, j) == (1, 1):
                continue
            di, dj = i - 1, j - 1  # the image row of a window at output row y is y + di
            image[:, :, max(di, 0) : h + min(di, 0), max(dj, 0) : w + min(dj, 0)] += blocks[
                :, i, j, :, max(-di, 0) : h - max(di, 0), max(-dj, 0) : w - max(dj, 0)
            ]
    return image


def bn_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Training-mode BatchNorm over rows of a (C, M) array; y = (x - mean) * gamma / std + beta."""
    mean = x.mean(axis=1, keepdims=True)
    centered = x - mean
    var = np.einsum("cm,cm->c", centered, centered)[:, None] / x.shape[1]
    inv_std = 1.0 / np.sqrt(var + EPS)
    scale = gamma[:, None] * inv_std
    y = centered * scale
    y += beta[:, None]
    return y, (centered, inv_std, scale)


def bn_backward(dy: np.ndarray, saved: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx = scale * (dy - mean(dy) - centered * inv_std^2 * mean(dy * centered)), the closed form."""
    centered, inv_std, scale = saved
    m = dy.shape[1]
    dbeta = dy.sum(axis=1)
    dy_centered = np.einsum("cm,cm->c", dy, centered)[:, None]
    dgamma = dy_centered[:, 0] * inv_std[:, 0]
    dx = centered * (-(inv_std**2) * dy_centered / m)
    dx += dy
    dx -= dbeta[:, None] / m
    dx *= scale
    return dx, dgamma, dbeta


def pool_forward(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling of (C, N, H, W): the max of column pairs, then of row pairs."""
    c, n, h, w = x.shape
    columns = x.reshape(c, n, h, w // 2, 2)
    half = np.maximum(columns[..., 0], columns[..., 1])
    rows = half.reshape(c, n, h // 2, 2, w // 2)
    return np.maximum(rows[:, :, :, 0], rows[:, :, :, 1])


def pool_backward(dout: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient goes to the maximum of each window. A window with tied maxima would send
    it to each of them (PyTorch picks the first), but in these models every pool reads a
    ReLU's output, whose only ties are zeros, and the ReLU's backward zeroes those: the same
    gradient as PyTorch's."""
    c, n, h, w = x.shape
    tiles = x.reshape(c, n, h // 2, 2, w // 2, 2)
    dx = np.empty_like(tiles)
    for i in range(2):  # one pass per window position (a 6-D broadcast compare is 2x slower)
        for j in range(2):
            np.multiply(dout, tiles[:, :, :, i, :, j] == out, out=dx[:, :, :, i, :, j])
    return dx.reshape(x.shape)


class HandWritten:
    """A ``Sequential`` of Conv2d(3x3, padding 1) / BatchNorm / ReLU / MaxPool2d(2) / Flatten /
    Linear layers trained by hand: each layer's forward and closed-form backward written out
    in numpy, with the model's weights and ``torch.optim.SGD``'s momentum update."""

    def __init__(self, model: nn.Module, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.layers = [(str(i), type(layer).__name__) for i, layer in enumerate(model.children())]
        self.params = {name: p.array.copy() for name, p in model.named_parameters()}
        self.velocity = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.lr, self.momentum = lr, momentum

    def forward(self, i: str, kind: str, x: np.ndarray, saved: dict[str, Any]) -> np.ndarray:
        p = self.params
        if kind == "Conv2d":  # x is channel-major (C, N, H, W)
            saved[i] = im2col(x), x.shape
            out = p[i + ".weight"].reshape(p[i + ".weight"].shape[0], -1) @ saved[i][0]
            out += p[i + ".bias"][:, None]
            return out.reshape(-1, *x.shape[1:])
        if kind in ("BatchNorm1d", "BatchNorm2d"):  # per channel: rows of (C, everything else)
            rows = x.reshape(x.shape[0], -1) if kind == "BatchNorm2d" else np.ascontiguousarray(x.T)
            y, saved[i] = bn_forward(rows, p[i + ".weight"], p[i + ".bias"])
            return y.reshape(x.shape) if kind == "BatchNorm2d" else y.T
        if kind == "ReLU":
            saved[i] = y = np.maximum(x, 0)
            return y
        if kind == "MaxPool2d":
            out = pool_forward(x)
            saved[i] = x, out
            return out
        if kind == "Flatten":  # back to batch-major for the Linear layers
            saved[i] = x.shape
            return np.ascontiguousarray(np.moveaxis(x, 0, 1)).reshape(x.shape[1], -1) if x.ndim == 4 else x
        if kind == "Linear":
            saved[i] = x
            return x @ p[i + ".weight"].T + p[i + ".bias"]
        raise ValueError(f"no hand-written {kind}")

    def backward(self, i: str, kind: str, dy: np.ndarray, saved: dict[str, Any], grads: dict[str, Any]) -> Any:
        p = self.params
        if kind == "Conv2d":
            columns, shape = saved[i]
            weight = p[i + ".weight"]
            rows = dy.reshape(weight.shape[0], -1)
            grads[i + ".weight"] = (rows @ columns.T).reshape(weight.shape)
            grads[i + ".bias"] = rows.sum(axis=1)
            return None if i == "0" else col2im(weight.reshape(weight.shape[0], -1).T @ rows, shape)
        if kind in ("BatchNorm1d", "BatchNorm2d"):
            rows = dy.reshape(dy.shape[0], -1) if kind == "BatchNorm2d" else np.ascontiguousarray(dy.T)
            dx, grads[i + ".weight"], grads[i + ".bias"] = bn_backward(rows, saved[i])
            return dx.reshape(dy.shape) if kind == "BatchNorm2d" else dx.T
        if kind == "ReLU":
            dy *= saved[i] > 0  # (dy is this step's own array: the layer above made it)
            return dy
        if kind == "MaxPool2d":
            return pool_backward(dy, *saved[i])
        if kind == "Flatten":
            shape = saved[i]
            if len(shape) != 4:
                return dy
            c, n, h, w = shape
            return np.ascontiguousarray(dy.reshape(n, c, h, w).transpose(1, 0, 2, 3))
        if kind == "Linear":
            grads[i + ".weight"], grads[i + ".bias"] = dy.T @ saved[i], dy.sum(axis=0)
            return dy @ p[i + ".weight"]
        raise ValueError(f"no hand-written {kind}")

    def gradients(self, images: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        n = images.shape[0]
        saved: dict[str, Any] = {}
        grads: dict[str, np.ndarray] = {}
        x = images.transpose(1, 0, 2, 3) if images.ndim == 4 else images.reshape(n, -1)
        for i, kind in self.layers:
            x = self.forward(i, kind, x, saved)
        # cross-entropy and its gradient, softmax - one_hot over the batch mean
        shifted = x - x.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[np.arange(n), labels]))
        dy = exp / total
        dy[np.arange(n), labels] -= 1
        dy /= n
        for i, kind in reversed(self.layers):
            dy = self.backward(i, kind, dy, saved, grads)
        return loss, grads

    def step(self, images: np.ndarray, labels: np.ndarray) -> float:
        loss, grads = self.gradients(images, labels)
        for name, grad in grads.items():  # SGD with momentum, as torch.optim.SGD: v = m v + g
            velocity = self.velocity[name]
            velocity *= self.momentum
            velocity += grad
            self.params[name] -= self.lr * velocity
        return loss


def largest_gradient_error(name: str) -> float:
    """The hand-written gradients against minigrad's, on the same weights and a batch of 8:
    the largest difference over all parameters. In float64: in float32 the two sums round
    differently, and one pre-ReLU value within 1e-6 of zero that lands on the other side
    changes a whole column of the gradient."""
    build, shape, _ = MODELS[name]
    minigrad.manual_seed(0)
    model = build().double()
    rng = np.random.default_rng(1)
    images, labels = rng.standard_normal((8, *shape)), rng.integers(0, 10, 8)
    nn.functional.cross_entropy(model(minigrad.tensor(images)), minigrad.tensor(labels)).backward()
    _, grads = HandWritten(model).gradients(images, labels)
    # (relative to the largest entry of all the gradients: a conv bias followed by BatchNorm
    # has a gradient of exactly 0 in exact arithmetic, rounding noise in both)
    theirs = {k: p.grad.array for k, p in model.named_parameters() if p.grad is not None}
    scale = max(float(np.abs(g).max()) for g in theirs.values())
    return max(float(np.abs(grads[k] - g).max()) for k, g in theirs.items()) / scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--only", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    minigrad.keep_freed_memory()
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    for name in args.only:
        build, shape, batch = MODELS[name]
        print(f"{LABELS[name]}: hand-written gradients match minigrad's to {largest_gradient_error(name):.0e}")
        runs = steps_for(name, torch)  # minigrad's and PyTorch's steps, on the same data and weights
        rng = np.random.default_rng(0)
        images = rng.standard_normal((batch, *shape)).astype(np.float32)
        labels = rng.integers(0, 10, batch)
        minigrad.manual_seed(0)  # the same weights as minigrad's and PyTorch's
        runs["numpy by hand"] = functools.partial(HandWritten(build()).step, images, labels)
        results = measure(runs, args.steps)
        for contender, (seconds, cpu) in results.items():
            print(f"  {contender:14s} {seconds * 1e3:8.2f} ms (cpu/wall {cpu:.2f})")
        if "PyTorch" in results:
            torch_time, floor = results["PyTorch"][0], results["numpy by hand"][0]
            print(f"  numpy by hand / PyTorch  {floor / torch_time:5.2f}  (what numpy costs)")
            print(f"  minigrad / numpy by hand {results['minigrad'][0] / floor:5.2f}  (what the engine costs)")
            print(f"  minigrad / PyTorch       {results['minigrad'][0] / torch_time:5.2f}")


if __name__ == "__main__":
    main()
