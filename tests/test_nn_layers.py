"""minigrad.nn layers and minigrad.nn.functional against PyTorch, plus the Module API.

Layers are compared as modules: the same weights are copied into the torch module, and the
output and the gradients of input, weight and bias must agree. Every functional also passes
gradcheck and gradgradcheck in float64 (BatchNorm's two routes are in test_batchnorm.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import Tensor, nn
from tests.helpers import TORCH_MISSING, check_gradients, compare_module_with_torch, compare_with_torch

try:
    import torch
except ImportError:  # the tests that compare with PyTorch are skipped; the others still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason=TORCH_MISSING)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def compare_module(ours: nn.Module, theirs, x: np.ndarray, atol: float = 1e-10, rtol: float = 1e-8) -> None:
    """Copy our weights into the torch module, then compare one step in float64."""
    ours.double()
    theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v.array.copy()) for k, v in ours.state_dict().items()})
    compare_module_with_torch(ours, theirs, x.astype(np.float64), atol=atol, rtol=rtol)


# ----------------------------------------------------------------------------- Linear


@needs_torch
@pytest.mark.parametrize(
    ("in_features", "out_features", "bias", "input_shape"),
    [(4, 3, True, (5, 4)), (4, 3, False, (5, 4)), (2, 6, True, (2, 3, 2)), (3, 1, True, (3,))],
)
def test_linear_matches_torch(in_features, out_features, bias, input_shape):
    ours = nn.Linear(in_features, out_features, bias=bias)
    theirs = torch.nn.Linear(in_features, out_features, bias=bias)
    compare_module(ours, theirs, rng().standard_normal(input_shape))


def test_linear_feature_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"got input of shape \(2, 5\): expected its last dim to be 4"):
        nn.Linear(4, 3)(minigrad.zeros(2, 5))
    with pytest.raises(ValueError, match=r"has 5 features, the weight of shape \(3, 4\) expects 4"):
        F.linear(minigrad.zeros(2, 5), minigrad.zeros(3, 4))


# ----------------------------------------------------------------------------- Conv2d

CONV_CONFIGS = [
    # (in, out, kernel, stride, padding, dilation, groups, bias, input shape)
    (2, 3, 3, 1, 0, 1, 1, True, (2, 2, 5, 5)),
    (2, 3, 3, 2, 1, 1, 1, True, (2, 2, 7, 6)),
    (3, 2, (2, 3), (2, 1), (1, 2), 1, 1, True, (1, 3, 6, 5)),
    (2, 4, 3, 1, "same", 1, 1, True, (2, 2, 5, 4)),
    (2, 2, (2, 4), 1, "same", (2, 1), 1, False, (1, 2, 6, 7)),  # even kernel: extra padding bottom/right
    (2, 3, (3, 2), 1, "valid", 1, 1, True, (2, 2, 5, 4)),
    (2, 2, 3, 1, 2, 2, 1, True, (1, 2, 7, 7)),
    (2, 3, 2, (1, 2), 0, (2, 3), 1, False, (2, 2, 6, 9)),
    (4, 6, 3, 1, 1, 1, 2, True, (2, 4, 5, 5)),
    (4, 4, 3, 2, 1, 1, 4, True, (1, 4, 6, 6)),  # depthwise
    (6, 3, (1, 3), 1, (0, 1), 1, 3, False, (2, 6, 3, 5)),
    (3, 2, 3, 1, 1, 1, 1, True, (3, 4, 5)),  # unbatched (C, H, W)
    (1, 2, 5, 1, 0, 1, 1, True, (2, 1, 5, 5)),  # output 1x1
]


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize("config", CONV_CONFIGS, ids=[str(i) for i in range(len(CONV_CONFIGS))])
def test_conv2d_matches_torch(config):
    in_c, out_c, kernel, stride, padding, dilation, groups, bias, shape = config
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    ours, theirs = nn.Conv2d(in_c, out_c, kernel, **args), torch.nn.Conv2d(in_c, out_c, kernel, **args)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    compare_module(ours, theirs, rng(1).standard_normal(shape))


def test_conv2d_same_padding_keeps_the_size():
    conv = nn.Conv2d(1, 1, (4, 3), padding="same", dilation=(1, 2))
    assert conv(minigrad.zeros(1, 1, 7, 6)).shape == (1, 1, 7, 6)


def test_conv2d_channel_mismatch_names_counts_and_shape():
    with pytest.raises(
        ValueError, match=r"Conv2d\(in_channels=3\) got input with 1 channel\(s\): shape \(8, 1, 6, 6\)"
    ):
        nn.Conv2d(3, 4, 3)(minigrad.zeros(8, 1, 6, 6))
    with pytest.raises(ValueError, match=r"input with 2 channel\(s\).*expected 4 input channel\(s\)"):
        F.conv2d(minigrad.zeros(1, 2, 5, 5), minigrad.zeros(2, 2, 3, 3), groups=2)


def test_conv2d_bad_arguments():
    with pytest.raises(ValueError, match="padding must be an int, a pair, 'same' or 'valid', got 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(minigrad.zeros(1, 1, 5, 5), minigrad.zeros(1, 1, 3, 3), stride=(1, 2), padding="same")
    with pytest.raises(ValueError, match=r"must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        nn.Conv2d(1, 1, 5)(minigrad.zeros(1, 1, 3, 3))


# ----------------------------------------------------------------------------- pooling

POOL_CONFIGS = [
    # (kernel, stride, padding, input shape)
    (2, None, 0, (2, 3, 6, 6)),  # non-overlapping
    (3, 1, 0, (1, 2, 5, 6)),  # overlapping
    (3, 2, 1, (2, 2, 7, 5)),  # overlapping, padded
    ((2, 3), (1, 2), (1, 1), (1, 2, 5, 7)),  # non-square
    (2, 2, 0, (3, 5, 5)),  # unbatched, odd size (last row/col dropped)
]


@needs_torch
@pytest.mark.parametrize(("kernel", "stride", "padding", "shape"), POOL_CONFIGS)
def test_max_pool2d_matches_torch(kernel, stride, padding, shape):
    compare_module(
        nn.MaxPool2d(kernel, stride, padding),
        torch.nn.MaxPool2d(kernel, stride, padding),
        rng(2).standard_normal(shape),
    )


@needs_torch
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize(("kernel", "stride", "padding", "shape"), POOL_CONFIGS)
def test_avg_pool2d_matches_torch(kernel, stride, padding, shape, count_include_pad):
    compare_module(
        nn.AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad),
        torch.nn.AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad),
        rng(3).standard_normal(shape),
    )


@needs_torch
@pytest.mark.parametrize(("kernel", "stride", "padding"), [(2, 2, 0), (3, 1, 1), (2, 1, 0)])
def test_max_pool2d_ties_route_gradient_to_the_first_max(kernel, stride, padding):
    x = rng(4).integers(0, 2, (2, 2, 6, 6)).astype(np.float64)  # many equal values in each window
    compare_module(nn.MaxPool2d(kernel, stride, padding), torch.nn.MaxPool2d(kernel, stride, padding), x)
    # All-equal windows: the whole gradient of each window goes to its top-left element.
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.array[0, 0], expected)


def test_pooling_bad_padding():
    with pytest.raises(ValueError, match="should be at most half of the kernel size"):
        F.max_pool2d(minigrad.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"expected 3D \(unbatched\) or 4D \(batched\) input"):
        F.avg_pool2d(minigrad.zeros(4, 4), 2)


# ----------------------------------------------------------------------------- activations, Flatten


@needs_torch
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [  # the torch module is built inside the test, so that this module imports without PyTorch
        (nn.ReLU(), lambda: torch.nn.ReLU()),
        (nn.Tanh(), lambda: torch.nn.Tanh()),
        (nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
        (nn.Flatten(), lambda: torch.nn.Flatten()),
        (nn.Flatten(0, 2), lambda: torch.nn.Flatten(0, 2)),
        (nn.Flatten(2), lambda: torch.nn.Flatten(2)),
    ],
    ids=["relu", "tanh", "sigmoid", "flatten", "flatten-0-2", "flatten-2"],
)
def test_elementwise_and_flatten_match_torch(ours, theirs):
    x = rng(5).standard_normal((2, 3, 4, 2)) * 3
    compare_module(ours, theirs(), x)


# ----------------------------------------------------------------------------- Dropout


def test_dropout_train_zeroes_about_p_and_scales_the_rest():
    minigrad.manual_seed(0)
    p = 0.3
    x = Tensor(np.full((200, 100), 2.0), requires_grad=True)
    layer = nn.Dropout(p)
    y = layer(x)
    dropped = y.array == 0
    assert abs(dropped.mean() - p) < 0.02  # 20000 draws: 0.02 is about 6 standard deviations
    np.testing.assert_allclose(y.array[~dropped], 2.0 / (1 - p))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.where(dropped, 0.0, 1 / (1 - p)))
    assert abs(y.array.mean() - 2.0) < 0.05  # inverted dropout keeps the expectation


def test_dropout_is_seeded_and_eval_is_identity():
    x = minigrad.ones(10, 10)
    minigrad.manual_seed(7)
    first = F.dropout(x, 0.5).array
    minigrad.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).array, first)
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x).array, x.array)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).array, x.array)
    np.testing.assert_array_equal(F.dropout(x, 1.0).array, np.zeros((10, 10)))
    np.testing.assert_array_equal(F.dropout(x, 0.0).array, x.array)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got 1\.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got -0\.1"):
        F.dropout(x, -0.1)


# ----------------------------------------------------------------------------- losses


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)], ids=["NC", "NCd"])
def test_cross_entropy_matches_torch(reduction, label_smoothing, ignore_index, shape):
    logits = rng(6).standard_normal(shape) * 2
    target_shape = shape[:1] + shape[2:]
    target = rng(7).integers(0, shape[1], target_shape).astype(np.int64)
    target.flat[0] = 1  # at least one ignored target when ignore_index=1

    def ours(x, t):
        return nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing, ignore_index=ignore_index)(
            x, t
        )

    def theirs(x, t):
        return torch.nn.CrossEntropyLoss(
            reduction=reduction, label_smoothing=label_smoothing, ignore_index=ignore_index
        )(x, t)

    compare_with_torch(ours, theirs, logits, target, atol=1e-10)


@needs_torch
def test_cross_entropy_single_sample_and_errors():
    compare_with_torch(F.cross_entropy, torch.nn.functional.cross_entropy, np.array([0.5, -1.0, 2.0]), np.array(2))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 5]))
    with pytest.raises(TypeError, match="expected integer class targets"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"needs targets of shape \(2,\), got \(3,\)"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 1]), reduction="avg")


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_nll_loss_matches_torch(reduction, shape):
    log_probs = np.log(rng(8).dirichlet(np.ones(3), size=shape[:1] + shape[2:])).swapaxes(1, -1).copy()
    target = rng(9).integers(0, 3, shape[:1] + shape[2:]).astype(np.int64)
    target.flat[1] = 2
    compare_with_torch(
        lambda x, t: F.nll_loss(x, t, reduction=reduction, ignore_index=2),
        lambda x, t: torch.nn.functional.nll_loss(x, t, reduction=reduction, ignore_index=2),
        log_probs,
        target,
        atol=1e-10,
    )


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_mse_loss_matches_torch(reduction):
    a, b = rng(10).standard_normal((2, 4, 3))
    compare_with_torch(
        lambda x, y: nn.MSELoss(reduction=reduction)(x, y),
        lambda x, y: torch.nn.MSELoss(reduction=reduction)(x, y),
        a,
        b,
    )
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) and target shape \(3, 2\) differ"):
        F.mse_loss(minigrad.zeros(2, 3), minigrad.zeros(3, 2))


def test_softmax_and_log_softmax_match_torch():
    x = rng(11).standard_normal((3, 5)) * 4
    compare_with_torch(lambda t: F.softmax(t, 1), lambda t: torch.softmax(t, 1), x)
    compare_with_torch(lambda t: F.log_softmax(t, 0), lambda t: torch.log_softmax(t, 0), x)


# ----------------------------------------------------------------------------- gradcheck + gradgradcheck

# Inputs away from ReLU's kink and pooling's ties, so finite differences are well defined.
SMALL = rng(12).standard_normal((2, 2, 4, 5))


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "groups"),
    [(1, 0, 1, 1), (2, 1, 1, 1), (1, "same", (2, 1), 1), ((1, 2), 1, 1, 2), (2, (0, 1), 2, 2)],
)
def test_conv2d_gradcheck(stride, padding, dilation, groups):
    weight = rng(13).standard_normal((2, 2 // groups, 2, 3))
    bias = rng(14).standard_normal(2)
    check_gradients(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), SMALL, weight, bias)


def test_linear_gradcheck():
    x, w, b = rng(15).standard_normal((3, 4)), rng(16).standard_normal((2, 4)), rng(17).standard_normal(2)
    check_gradients(F.linear, x, w, b)
    check_gradients(lambda x, w: F.linear(x, w), x, w)


@pytest.mark.parametrize(("kernel", "stride", "padding"), [(2, None, 0), (3, 1, 1), ((2, 3), (2, 1), (1, 0))])
def test_pooling_gradcheck(kernel, stride, padding):
    x = rng(18).permutation(np.arange(40.0)).reshape(2, 1, 4, 5) / 7  # distinct values: no ties
    check_gradients(lambda t: F.max_pool2d(t, kernel, stride, padding), x)
    check_gradients(lambda t: F.avg_pool2d(t, kernel, stride, padding), x)
    check_gradients(lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=False), x)


def test_activation_gradcheck():
    x = rng(19).standard_normal((3, 4))
    x[np.abs(x) < 0.05] = 0.5  # away from relu's kink
    check_gradients(F.relu, x)
    check_gradients(F.tanh, x)
    check_gradients(F.sigmoid, x)
    check_gradients(lambda t: F.softmax(t, 1), x)
    check_gradients(lambda t: F.log_softmax(t, 0), x)


def test_dropout_gradcheck_with_fixed_seed():
    def seeded_dropout(t):
        minigrad.manual_seed(3)  # the same mask on every call, as gradcheck needs
        return F.dropout(t, 0.4)

    check_gradients(seeded_dropout, rng(20).standard_normal((4, 5)))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_loss_gradcheck(reduction):
    logits = rng(21).standard_normal((4, 3))
    target = np.array([0, 2, 1, 2])
    check_gradients(lambda x: F.cross_entropy(x, Tensor(target), reduction=reduction), logits)
    check_gradients(
        lambda x: F.cross_entropy(x, Tensor(target), reduction=reduction, label_smoothing=0.1, ignore_index=1), logits
    )
    check_gradients(lambda x: F.nll_loss(x.log_softmax(1), Tensor(target), reduction=reduction), logits)
    check_gradients(lambda x, y: F.mse_loss(x, y, reduction=reduction), logits, rng(22).standard_normal((4, 3)))


def test_cross_entropy_kdim_gradcheck():
    target = Tensor(np.array([[0, 2], [1, 1]]))
    check_gradients(lambda x: F.cross_entropy(x, target, label_smoothing=0.3), rng(23).standard_normal((2, 3, 2)))


# ----------------------------------------------------------------------------- Module API


def small_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.Sequential(nn.Flatten(), nn.Dropout(0.1)),
        nn.Linear(2 * 4 * 4, 3),
        nn.BatchNorm1d(3, affine=False),
    )


def small_torch_net():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        torch.nn.BatchNorm2d(2),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.1)),
        torch.nn.Linear(2 * 4 * 4, 3),
        torch.nn.BatchNorm1d(3, affine=False),
    )


@needs_torch
def test_parameters_buffers_children_modules():
    net = small_net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    assert names == [name for name, _ in small_torch_net().named_parameters()]
    assert [p.shape for p in net.parameters()] == [(2, 1, 3, 3), (2,), (2,), (2,), (3, 32), (3,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    buffers = [name for name, _ in net.named_buffers()]
    assert buffers == [name for name, _ in small_torch_net().named_buffers()]
    assert buffers == [
        "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "5.running_mean", "5.running_var", "5.num_batches_tracked",
    ]  # fmt: skip
    assert [type(m).__name__ for m in net.children()] == [
        "Conv2d", "BatchNorm2d", "ReLU", "Sequential", "Linear", "BatchNorm1d",
    ]  # fmt: skip
    assert [type(m).__name__ for m in net.modules()] == [type(m).__name__ for m in small_torch_net().modules()]
    assert [name for name, _ in net.named_modules()] == [name for name, _ in small_torch_net().named_modules()]
    assert list(net[0].parameters(recurse=False)) == [net[0].weight, net[0].bias]
    assert list(net.parameters(recurse=False)) == []


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(net.parameters())) == 2


def test_train_eval_propagate_to_every_module():
    net = small_net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not any(m.training for m in net.modules())


def test_zero_grad():
    net = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    net(minigrad.randn(4, 3)).sum().backward()
    assert all(p.grad is not None and np.abs(p.grad.array).sum() > 0 for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        assert p.grad.shape == p.shape and p.grad.dtype == p.dtype
        np.testing.assert_array_equal(p.grad.array, 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize(
    ("cast", "dtype"),
    [
        (lambda m: m.double(), np.float64),
        (lambda m: m.float(), np.float32),
        (lambda m: m.to(minigrad.float64), np.float64),
        (lambda m: m.to(np.float32), np.float32),
    ],
)
def test_dtype_casts_params_and_float_buffers_only(cast, dtype):
    net = small_net()
    if dtype == np.float32:
        net.double()
    weight = net[0].weight
    assert cast(net) is net
    assert net[0].weight is weight  # cast in place: optimizers keep their references
    for name, t in list(net.named_parameters()) + list(net.named_buffers()):
        if name.endswith("num_batches_tracked"):
            assert t.dtype == np.int64, name
        else:
            assert t.dtype == dtype, name
    y = net.train()(Tensor(np.ones((2, 1, 4, 4), dtype=dtype)))
    assert y.dtype == dtype


@needs_torch
def test_state_dict_keys_match_torch():
    ours, theirs = small_net(), small_torch_net()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, v), (_, t) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert v.shape == tuple(t.shape), k
        assert v.dtype.name == str(t.dtype).removeprefix("torch."), k
    state = ours.state_dict()
    assert not state["0.weight"].requires_grad
    state["0.weight"].array[...] = 5.0  # detached views share memory with the module
    np.testing.assert_array_equal(ours[0].weight.array, 5.0)


def test_load_state_dict_copies_in_place():
    source, target = small_net(), small_net()
    source(minigrad.randn(4, 1, 4, 4))  # moves the running stats
    weight = target[0].weight
    assert target.load_state_dict(source.state_dict()) == ([], [])
    assert target[0].weight is weight
    for (k, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array, err_msg=k)
    assert int(target[1].num_batches_tracked.item()) == 1
    target.load_state_dict({k: v.array.copy() for k, v in small_net().state_dict().items()})  # numpy arrays work too


def test_load_state_dict_strict_lists_every_problem_in_one_error():
    net = small_net()
    state = dict(net.state_dict())
    del state["0.bias"], state["5.running_var"]
    state["7.weight"] = minigrad.zeros(2)
    state["4.weight"] = minigrad.zeros(3, 31)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert "missing keys: 0.bias, 5.running_var" in message
    assert "unexpected keys: 7.weight" in message
    assert "size mismatch for 4.weight: checkpoint has shape (3, 31), the model has (3, 32)" in message


def test_load_state_dict_non_strict_returns_the_incompatible_keys():
    net = small_net()
    state = dict(small_net().state_dict())
    del state["0.bias"]
    state["extra"] = minigrad.zeros(1)
    bias_before = net[0].bias.array.copy()
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(net[0].bias.array, bias_before)
    np.testing.assert_array_equal(net[0].weight.array, state["0.weight"].array)
    state["0.weight"] = minigrad.zeros(1)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):  # shapes are checked even when not strict
        net.load_state_dict(state, strict=False)


@needs_torch
def test_repr_is_pytorch_like():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Sequential(nn.Flatten(), nn.Linear(8, 2)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=8, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(net) == repr(
        torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 2)),
        )
    )
    for ours, theirs in [
        (nn.AvgPool2d(3, 1, 1), torch.nn.AvgPool2d(3, 1, 1)),
        (nn.MSELoss(), torch.nn.MSELoss()),
        (nn.Tanh(), torch.nn.Tanh()),
    ]:
        assert repr(ours) == repr(theirs)
    assert repr(nn.Conv2d(4, 8, (2, 3), stride=2, dilation=(1, 2), groups=2, bias=False)) == repr(
        torch.nn.Conv2d(4, 8, (2, 3), stride=2, dilation=(1, 2), groups=2, bias=False)
    )
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    assert repr(nn.BatchNorm2d(3)) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.Parameter(np.zeros(2, dtype=np.float32))).startswith("Parameter containing:\n")


def test_sequential_indexing_and_call():
    a, b = nn.Linear(2, 3), nn.ReLU()
    net = nn.Sequential(a, b)
    assert net[0] is a and net[-1] is b and len(net) == 2 and list(net) == [a, b]
    assert isinstance(net[:1], nn.Sequential) and list(net[:1]) == [a]
    x = minigrad.randn(4, 2)
    np.testing.assert_array_equal(net(x).array, b(a(x)).array)


def test_module_assignment_registers_and_unregisters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.ones(1))
            self.body = nn.Linear(1, 1)

        def forward(self, x):
            return self.body(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.weight", "body.bias"]
    net.body.bias = None  # as in PyTorch: the name stays registered, with no parameter
    net.offset = 2.0  # a plain attribute registers nothing
    net.head = nn.Linear(1, 2)
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.weight", "head.weight", "head.bias"]
    assert net.offset == 2.0 and net.body.bias is None
    assert net(minigrad.ones(3, 1)).shape == (3, 1)

    class Broken(nn.Module):
        def __init__(self):
            self.x = 1

    with pytest.raises(AttributeError, match="call super"):
        Broken()
    with pytest.raises(NotImplementedError):
        nn.Module()(1)


# ----------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize(
    ("layer", "fan_in"),
    [
        (lambda: nn.Linear(60, 80), 60),
        (lambda: nn.Conv2d(6, 40, (3, 2)), 36),
        (lambda: nn.Conv2d(8, 40, 3, groups=4), 18),
    ],
)
def test_default_init_is_pytorchs(layer, fan_in):
    minigrad.manual_seed(0)
    module = layer()
    bound = 1 / math.sqrt(fan_in)
    for p in (module.weight, module.bias):
        values = p.array
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound
        # Uniform on (-bound, bound): spread out, not all equal, close to the edges.
        assert np.abs(values).max() > 0.8 * bound
        assert len(np.unique(values)) > 0.9 * values.size
        if values.size > 1000:
            assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
            assert abs(values.mean()) < 0.05 * bound


def test_init_is_reproducible_with_manual_seed():
    minigrad.manual_seed(5)
    a = nn.Linear(4, 4).weight.array.copy()
    minigrad.manual_seed(5)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.array, a)
    assert not np.array_equal(nn.Linear(4, 4).weight.array, a)


@needs_torch
def test_init_functions():
    init = nn.init
    minigrad.manual_seed(0)
    w = nn.Parameter(np.empty((300, 200), dtype=np.float32))
    fan_in, fan_out = 200, 300

    def spread(expected_std, expected_mean=0.0):
        assert w.dtype == np.float32
        assert abs(w.array.std() - expected_std) < 0.03 * expected_std
        assert abs(w.array.mean() - expected_mean) < 0.03 * expected_std

    assert init.uniform_(w, -2.0, 3.0) is w
    assert w.array.min() >= -2.0 and w.array.max() <= 3.0
    spread(5 / math.sqrt(12), 0.5)
    init.normal_(w, 0.0, 0.5)
    spread(0.5)
    bound = math.sqrt(2.0) * math.sqrt(3.0 / fan_in)
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.array).max() <= bound
    spread(bound / math.sqrt(3))
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    spread(math.sqrt(2.0) * math.sqrt(3.0 / fan_out) / math.sqrt(3))
    init.kaiming_normal_(w, nonlinearity="relu")
    spread(math.sqrt(2.0 / fan_in))
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w.array).max() <= bound
    spread(bound / math.sqrt(3))
    init.xavier_normal_(w)
    spread(math.sqrt(2.0 / (fan_in + fan_out)))
    init.constant_(w, 0.25)
    np.testing.assert_array_equal(w.array, 0.25)
    init.zeros_(w)
    np.testing.assert_array_equal(w.array, 0)
    init.ones_(w)
    np.testing.assert_array_equal(w.array, 1)
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(nn.Parameter(np.zeros(3)))


def test_assigning_a_non_parameter_to_a_parameter_name_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        layer.weight = minigrad.zeros(2, 2)
    layer.bias = None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_layer_argument_errors_are_clear():
    import minigrad.nn.functional as F

    with pytest.raises(ValueError, match="groups must be a positive int, got 0"):
        nn.Conv2d(2, 2, 3, groups=0)
    with pytest.raises(ValueError, match="stride must be an int or a pair of ints, each >= 1, got 0"):
        nn.Conv2d(2, 2, 3, stride=0)
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(2,\), expected \(3,\)"):
        F.conv2d(minigrad.randn(1, 2, 5, 5), minigrad.randn(3, 2, 3, 3), minigrad.randn(2))
    with pytest.raises(TypeError, match="weight must be a tensor of class weights, got 'sum'"):
        nn.CrossEntropyLoss("sum")  # PyTorch's first argument is weight: reduction goes by keyword
    with pytest.raises(TypeError, match="size_average must be a bool, got 'sum'"):
        nn.MSELoss("sum")
