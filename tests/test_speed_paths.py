"""The fast paths of issue 7 compute what the plain versions compute: the thread pool's split
products, elementwise ops and col2im, the exact select of Where, Max's saved position, the tile max
pooling, the flat im2col of stride-1 convolution and the fused per-channel sums. Values are
compared with plain numpy and PyTorch; gradients with finite differences (float64)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, ops, parallel
from tests.helpers import check_gradients, compare_with_torch


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((300, 400), (400, 500)), ((40, 3000), (3000, 300)), ((8, 6000), (6000, 20)), ((3, 70, 90), (90, 4000))],
    ids=["split rows", "split columns", "split the inner sum", "batched"],
)
def test_split_matmul_equals_numpy(a_shape, b_shape, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_GEMM_MACS", 1)  # split even these
    monkeypatch.setattr(parallel, "NUM_THREADS", 2)
    a, b = rng(1).standard_normal(a_shape), rng(2).standard_normal(b_shape)
    np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    assert np.array_equal(parallel.matmul(a, b), parallel.matmul(a, b))  # deterministic


def test_split_elementwise_broadcasts_like_numpy(monkeypatch):
    monkeypatch.setattr(parallel, "NUM_THREADS", 2)
    a, b, c = rng(1).standard_normal((6, 3, 4)), rng(2).standard_normal((1, 3, 1)), rng(3).standard_normal(4)
    np.testing.assert_array_equal(parallel.elementwise(np.add, a, b), a + b)
    np.testing.assert_array_equal(parallel.elementwise(np.multiply, c, a), c * a)


def test_col2im_split_by_batch_equals_one_thread(monkeypatch):
    offsets, length = (0, 1, 6, 7), 10
    columns = rng(3).standard_normal((3, 4, 8, length))
    monkeypatch.setattr(parallel, "NUM_THREADS", 1)
    one = ops.Col2Im(20, offsets, length).forward(columns)
    monkeypatch.setattr(parallel, "NUM_THREADS", 2)
    monkeypatch.setattr(parallel, "MIN_SPLIT_ELEMENTS", 1)
    np.testing.assert_array_equal(ops.Col2Im(20, offsets, length).forward(columns), one)


def test_one_thread_setting_turns_the_pool_off():
    code = "import minigrad.parallel as p\nassert p.NUM_THREADS == 1\np.map_chunks(print, 10)\nassert p._pool is None"
    root = str(Path(__file__).resolve().parents[1])  # this checkout's minigrad, wherever it is installed
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "MINIGRAD_NUM_THREADS": "1", "PYTHONPATH": root}
    )


def test_blas_runs_single_threaded_inside_and_is_restored_after():
    controller = parallel._blas_controller()
    if not controller:
        pytest.skip("threadpoolctl finds no BLAS library")
    before = controller.get_num_threads()
    with parallel.blas_threads(1):
        assert controller.get_num_threads() == 1
    assert controller.get_num_threads() == before


def test_where_against_zero_is_exact_at_inf_nan_and_signed_zero():
    values = np.array([-np.inf, -2.0, -0.0, 0.0, 3.0, np.inf, np.nan], dtype=np.float32)
    keep = np.array([True, False, True, False, True, False, True])
    ours = minigrad.tensor(values).where(minigrad.tensor(keep), 0).array
    expected = np.where(keep, values, np.float32(0))
    np.testing.assert_array_equal(ours, expected)
    assert np.array_equal(np.signbit(ours), np.signbit(expected))  # no -0.0 where numpy gives 0.0


def test_relu_matches_torch_at_inf_and_nan():
    values = np.array([-np.inf, -1.0, 0.0, 2.0, np.inf, np.nan])
    compare_with_torch(lambda x: x.relu(), lambda x: x.relu(), values)


@pytest.mark.parametrize("shape", [(2, 3, 4, 6), (1, 2, 5, 7)])
def test_tile_max_pooling_matches_torch_and_unfold_route(shape):
    torch = pytest.importorskip("torch")
    x = rng(4).standard_normal(shape)
    compare_with_torch(lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2), x)
    tiles = F.max_pool2d(minigrad.tensor(x), 2)
    windows = F.max_pool2d(minigrad.tensor(x), 2, stride=(2, 2), padding=0)
    np.testing.assert_array_equal(tiles.array, windows.array)


def test_max_routes_ties_to_the_first_element_from_the_saved_position():
    x = minigrad.tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)  # a window of ties (ReLU's zeros)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.array.ravel(), [1.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("axes", [(1,), (0, 2), (1, 2)])
def test_max_gradients(axes):
    check_gradients(lambda t: t.amax(axes), rng(5).permutation(24).reshape(2, 3, 4).astype(np.float64))


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"padding": 1}, (2, 3, 5, 6)),
        ({"padding": 0, "dilation": 2}, (1, 2, 7, 7)),
        ({"padding": 2, "groups": 2}, (2, 4, 4, 5)),
    ],
)
def test_stride_1_convolution_matches_torch(kwargs, shape):
    torch = pytest.importorskip("torch")
    groups = kwargs.get("groups", 1)
    weight = rng(6).standard_normal((4, shape[1] // groups, 3, 3))
    x = rng(7).standard_normal(shape)
    compare_with_torch(
        lambda t, w: F.conv2d(t, w, **kwargs),
        lambda t, w: torch.nn.functional.conv2d(t, w, **kwargs),
        x,
        weight,
        atol=1e-10,
    )


def test_im2col_and_col2im_are_adjoint_and_differentiable():
    offsets, length = (0, 1, 4, 5), 6
    check_gradients(lambda t: ops.Im2Col(offsets, length)(t), rng(8).standard_normal((2, 3, 12)))
    a = rng(9).standard_normal((2, 3, 12))
    g = rng(10).standard_normal((3, 4, 2, 6))
    # <Im2Col(a), g> = <a, Col2Im(g)>: the definition of the adjoint
    lhs = np.sum(ops.Im2Col(offsets, length).forward(a) * g)
    rhs = np.sum(a * ops.Col2Im(12, offsets, length).forward(g))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_sum_of_products_and_broadcast_products():
    a, b = rng(11).standard_normal((3, 2, 4)), rng(12).standard_normal((3, 2, 4))
    check_gradients(lambda x, y: ops.SumOfProducts((0, 2))(x, y), a, b)
    check_gradients(lambda x: ops.SumOfProducts((0, 2))(x, x), a)
    scale = rng(13).standard_normal((1, 2, 1))
    check_gradients(lambda x, s: x * s, a, scale)  # the scale's gradient is a SumOfProducts


def test_derived_batchnorm_folds_gamma_and_still_matches_torch():
    layer = nn.BatchNorm2d(3).double()
    layer.weight.array[...] = [0.5, 2.0, -1.0]
    torch = pytest.importorskip("torch")
    twin = torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
    from tests.helpers import compare_module_with_torch

    compare_module_with_torch(layer, twin, rng(14).standard_normal((4, 3, 5, 5)))


def test_overlapping_blas_blocks_in_two_threads_restore_the_setting_from_outside(monkeypatch):
    class FakeBlas:  # OpenBLAS's own answer depends on which thread set it: test the bookkeeping
        threads = 2

        def get_num_threads(self) -> int:
            return self.threads

        def set_num_threads(self, count: int) -> None:
            self.threads = count

    blas = FakeBlas()
    monkeypatch.setattr(parallel, "_blas", blas)
    a_entered, b_entered, a_left = threading.Event(), threading.Event(), threading.Event()
    seen_inside_second = []

    def first() -> None:  # enters first, leaves while the second is still inside
        with parallel.blas_threads(1):
            a_entered.set()
            b_entered.wait()
        a_left.set()

    def second() -> None:
        a_entered.wait()
        with parallel.blas_threads(1):
            b_entered.set()
            a_left.wait()
            seen_inside_second.append(blas.threads)  # after the first block left

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen_inside_second == [1]  # still single-threaded
    assert blas.threads == 2  # the setting from outside, restored by the last block to leave


def test_col2im_is_split_only_when_its_columns_are_large(monkeypatch):
    lengths = []
    monkeypatch.setattr(parallel, "map_chunks", lambda work, length, min_length=2: lengths.append(min_length))
    small = np.zeros((2, 9, 64, 100), dtype=np.float32)  # more images than channels, 115 K elements
    ops.Col2Im(109, tuple(range(9)), 100).forward(small)
    assert lengths == [65]  # not split: the minimum is above the batch of 64
