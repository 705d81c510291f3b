"""The layers, functions and losses issue 8 added (PyTorch's activations, pooling options,
embeddings, layer norm, losses with class weights and probability targets, the legacy loss
arguments, containers, gradient clipping), each compared with PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch

try:
    import torch
except ImportError:  # the comparisons skip themselves
    torch = None


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def same_weights(ours: nn.Module, theirs):
    """ours, with the double-precision copy of theirs' parameters and buffers."""
    theirs.double()
    ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


X = rng(0).standard_normal((4, 6)) * 2
IMAGES = rng(1).standard_normal((2, 3, 9, 8))

ACTIVATIONS = [
    ("Softmax", lambda n: n.Softmax(dim=1)),
    ("LogSoftmax", lambda n: n.LogSoftmax(dim=0)),
    ("Softmin", lambda n: n.Softmin(dim=-1)),
    ("LeakyReLU", lambda n: n.LeakyReLU(0.2)),
    ("ELU", lambda n: n.ELU(alpha=0.7)),
    ("GELU", lambda n: n.GELU()),
    ("GELU-tanh", lambda n: n.GELU(approximate="tanh")),
    ("SiLU", lambda n: n.SiLU()),
    ("Softplus", lambda n: n.Softplus(beta=2.0, threshold=3.0)),
    ("ReLU6", lambda n: n.ReLU6()),
    ("Hardtanh", lambda n: n.Hardtanh(-0.5, 1.5)),
    ("Identity", lambda n: n.Identity(54, unused="argument")),
    ("Tanh", lambda n: n.Tanh()),
    ("Sigmoid", lambda n: n.Sigmoid()),
]


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, make):
    pytest.importorskip("torch")
    compare_module_with_torch(make(nn), make(torch.nn), X, atol=1e-7, rtol=1e-7)


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS[3:11], ids=[a[0] for a in ACTIVATIONS[3:11]])
def test_activation_gradients_to_second_order(name, make):
    check_gradients(make(nn), X * 0.9 + 0.05)


@pytest.mark.parametrize("layer", ["ReLU", "LeakyReLU", "ELU", "SiLU", "ReLU6", "Hardtanh", "Dropout"])
def test_inplace_activations_inside_a_network_match_torch(layer):
    pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(6, 5), getattr(nn, layer)(inplace=True), nn.Linear(5, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), getattr(torch.nn, layer)(inplace=True), torch.nn.Linear(5, 2))
    ours.eval(), theirs.eval()  # Dropout: the identity
    compare_module_with_torch(*same_weights(ours, theirs), X)


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    for shape, dim in [((5,), 0), ((2, 5), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)]:
        x = minigrad.randn(*shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
            implicit = F.softmax(x)
        np.testing.assert_allclose(implicit.array, x.softmax(dim).array, rtol=1e-6)
        with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
            nn.LogSoftmax()(x)


# ----------------------------------------------------------------------------- pooling, padding, conv1d

POOLS = [
    ("max-dilation", lambda n: n.MaxPool2d(2, stride=1, dilation=2)),
    ("max-ceil", lambda n: n.MaxPool2d(3, stride=2, ceil_mode=True)),
    ("max-ceil-padding", lambda n: n.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True)),
    ("max-dilation-ceil", lambda n: n.MaxPool2d((2, 3), stride=(2, 1), dilation=(2, 1), ceil_mode=True)),
    ("avg-ceil", lambda n: n.AvgPool2d(3, stride=2, ceil_mode=True)),
    ("avg-ceil-padding", lambda n: n.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)),
    ("avg-ceil-no-pad-count", lambda n: n.AvgPool2d(3, 2, 1, True, False)),
    ("avg-divisor", lambda n: n.AvgPool2d(2, divisor_override=3)),
    ("adaptive-1", lambda n: n.AdaptiveAvgPool2d(1)),
    ("adaptive-uneven", lambda n: n.AdaptiveAvgPool2d((4, 3))),
    ("adaptive-none", lambda n: n.AdaptiveAvgPool2d((2, None))),
    ("adaptive-larger", lambda n: n.AdaptiveAvgPool2d((12, 5))),
]


@pytest.mark.parametrize(("name", "make"), POOLS, ids=[p[0] for p in POOLS])
def test_pooling_options_match_torch(name, make):
    pytest.importorskip("torch")
    compare_module_with_torch(make(nn), make(torch.nn), IMAGES)


@pytest.mark.parametrize(("name", "make"), POOLS[::3], ids=[p[0] for p in POOLS[::3]])
def test_pooling_options_gradients(name, make):
    check_gradients(make(nn), rng(2).permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8) / 50.0)


def test_max_pool_return_indices_match_torch():
    pytest.importorskip("torch")
    for kwargs in [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": 2, "dilation": 2},
    ]:
        out, indices = F.max_pool2d(minigrad.tensor(IMAGES), return_indices=True, **kwargs)
        their_out, their_indices = torch.nn.functional.max_pool2d(torch.tensor(IMAGES), return_indices=True, **kwargs)
        np.testing.assert_allclose(out.array, their_out.numpy())
        np.testing.assert_array_equal(indices.array, their_indices.numpy())


@pytest.mark.parametrize("padding", [(-1, 2), (1, -2, -1, 0), (0, 0, 2, -3), (-2, -1, -1, -2)])
def test_pad_with_negative_amounts_crops_as_torch_does(padding):
    compare_with_torch(
        lambda t: F.pad(t, padding, value=0.5), lambda t: torch.nn.functional.pad(t, padding, value=0.5), IMAGES
    )


def test_conv1d_matches_torch():
    signal, kernel, bias = (
        rng(3).standard_normal((2, 4, 11)),
        rng(4).standard_normal((6, 2, 3)),
        rng(5).standard_normal(6),
    )
    compare_with_torch(
        lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2),
        lambda x, w, b: torch.nn.functional.conv1d(x, w, b, stride=2, padding=1, groups=2),
        signal,
        kernel,
        bias,
        atol=1e-10,
    )


# ----------------------------------------------------------------------------- embeddings, normalisation, shapes


def test_embedding_matches_torch_including_padding_idx():
    pytest.importorskip("torch")
    indices = np.array([[0, 2, 2], [4, 1, 0]])
    for padding_idx in (None, 2):
        ours, theirs = nn.Embedding(5, 3, padding_idx=padding_idx), torch.nn.Embedding(5, 3, padding_idx=padding_idx)
        same_weights(ours, theirs)
        our_out, their_out = ours(minigrad.tensor(indices)), theirs(torch.tensor(indices))
        np.testing.assert_allclose(our_out.array, their_out.detach().numpy())
        w = rng(6).standard_normal(our_out.shape)
        (our_out * minigrad.tensor(w)).sum().backward()
        (their_out * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ours.weight.grad.array, theirs.weight.grad.numpy(), atol=1e-12)
    assert nn.Embedding(4, 2, padding_idx=1).weight.array[1].tolist() == [0.0, 0.0]
    pretrained = nn.Embedding.from_pretrained(minigrad.eye(3))
    assert not pretrained.weight.requires_grad and pretrained(minigrad.tensor([1])).tolist() == [[0.0, 1.0, 0.0]]


def test_layer_norm_matches_torch_and_is_exact_to_second_order():
    pytest.importorskip("torch")
    for shape in (6, (4, 6)):
        for affine in (True, False):
            ours = nn.LayerNorm(shape, elementwise_affine=affine)
            theirs = torch.nn.LayerNorm(shape, elementwise_affine=affine)
            if affine:
                with torch.no_grad():
                    theirs.weight.normal_()
                    theirs.bias.normal_()
            compare_module_with_torch(*same_weights(ours, theirs), X, atol=1e-9, rtol=1e-9)
    check_gradients(lambda t: F.layer_norm(t, (6,)), X)


def test_unflatten_one_hot_normalize_cosine_similarity_match_torch():
    compare_with_torch(lambda t: nn.Unflatten(1, (2, 3))(t), lambda t: torch.nn.Unflatten(1, (2, 3))(t), X)
    compare_with_torch(lambda t: F.normalize(t, dim=0), lambda t: torch.nn.functional.normalize(t, dim=0), X)
    compare_with_torch(F.cosine_similarity, torch.nn.functional.cosine_similarity, X, X[::-1].copy())
    classes = np.array([0, 3, 1])
    compare_with_torch(F.one_hot, torch.nn.functional.one_hot, classes, grad=False)
    compare_with_torch(lambda c: F.one_hot(c, 6), lambda c: torch.nn.functional.one_hot(c, 6), classes, grad=False)


# ----------------------------------------------------------------------------- losses

LOGITS = rng(7).standard_normal((5, 4))
CLASSES = np.array([0, 3, 1, 1, 2])
WEIGHTS = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
def test_cross_entropy_with_class_weights_matches_torch(reduction, label_smoothing):
    for ignore_index in (-100, 1):
        compare_with_torch(
            lambda x, t, w, ignore_index=ignore_index: F.cross_entropy(
                x, t, w, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
            ),
            lambda x, t, w, ignore_index=ignore_index: torch.nn.functional.cross_entropy(
                x, t, w.detach(), ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
            ),
            LOGITS,
            CLASSES,
            WEIGHTS,
            atol=1e-10,
        )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_probability_targets_matches_torch(reduction, label_smoothing):
    probabilities = rng(8).dirichlet(np.ones(4), size=5)
    for weight in (None, WEIGHTS):
        compare_with_torch(
            lambda x, p, weight=weight: F.cross_entropy(
                x,
                p,
                None if weight is None else minigrad.tensor(weight),
                reduction=reduction,
                label_smoothing=label_smoothing,
            ),
            lambda x, p, weight=weight: torch.nn.functional.cross_entropy(
                x,
                p,
                None if weight is None else torch.tensor(weight),
                reduction=reduction,
                label_smoothing=label_smoothing,
            ),
            LOGITS,
            probabilities,
            atol=1e-10,
        )
    images = rng(9).standard_normal((2, 3, 4, 5))
    targets = rng(10).dirichlet(np.ones(3), size=(2, 4, 5)).transpose(0, 3, 1, 2).copy()
    compare_with_torch(
        lambda x, p: F.cross_entropy(x, p, reduction=reduction),
        lambda x, p: torch.nn.functional.cross_entropy(x, p, reduction=reduction),
        images,
        targets,
        atol=1e-10,
    )


def test_loss_modules_with_weights_match_torch():
    compare_with_torch(
        lambda x, t: nn.CrossEntropyLoss(weight=minigrad.tensor(WEIGHTS))(x, t),
        lambda x, t: torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHTS))(x, t),
        LOGITS,
        CLASSES,
    )
    compare_with_torch(
        lambda x, t: nn.NLLLoss(weight=minigrad.tensor(WEIGHTS), ignore_index=3)(x.log_softmax(1), t),
        lambda x, t: torch.nn.NLLLoss(weight=torch.tensor(WEIGHTS), ignore_index=3)(x.log_softmax(1), t),
        LOGITS,
        CLASSES,
    )


PROBABILITIES = 1 / (1 + np.exp(-LOGITS))
TARGETS = rng(11).random((5, 4))
LOSSES = [
    ("bce", lambda m, x, t: m.nn.functional.binary_cross_entropy(x.sigmoid(), t)),
    ("bce-weight-sum", lambda m, x, t: m.nn.BCELoss(weight=m.tensor(WEIGHTS), reduction="sum")(x.sigmoid(), t)),
    ("bce-logits", lambda m, x, t: m.nn.functional.binary_cross_entropy_with_logits(x * 10, t)),
    ("bce-logits-pos-weight", lambda m, x, t: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor(WEIGHTS))(x, t)),
    ("bce-logits-none", lambda m, x, t: m.nn.BCEWithLogitsLoss(weight=m.tensor(WEIGHTS), reduction="none")(x, t)),
    ("l1", lambda m, x, t: m.nn.L1Loss()(x, t)),
    ("smooth-l1", lambda m, x, t: m.nn.SmoothL1Loss(beta=0.5)(x, t)),
    ("smooth-l1-zero-beta", lambda m, x, t: m.nn.functional.smooth_l1_loss(x, t, beta=0.0, reduction="sum")),
    ("huber", lambda m, x, t: m.nn.HuberLoss(delta=0.7)(x, t)),
    ("kl-div-batchmean", lambda m, x, t: m.nn.KLDivLoss(reduction="batchmean")(x.log_softmax(1), t.softmax(1))),
    (
        "kl-div-log-target",
        lambda m, x, t: m.nn.functional.kl_div(x.log_softmax(1), t.log_softmax(1), reduction="sum", log_target=True),
    ),
    ("mse-none", lambda m, x, t: m.nn.MSELoss(reduction="none")(x, t)),
]


@pytest.mark.parametrize(("name", "loss"), LOSSES, ids=[loss[0] for loss in LOSSES])
def test_loss_matches_torch(name, loss):
    compare_with_torch(lambda x, t: loss(minigrad, x, t), lambda x, t: loss(torch, x, t), LOGITS, TARGETS, atol=1e-10)


@pytest.mark.parametrize(("name", "loss"), LOSSES[::2], ids=[loss[0] for loss in LOSSES[::2]])
def test_loss_gradients_to_second_order(name, loss):
    check_gradients(lambda x, t: loss(minigrad, x, t), LOGITS, TARGETS)


@pytest.mark.parametrize(
    ("size_average", "reduce", "reduction"), [(None, False, "none"), (False, None, "sum"), (True, True, "mean")]
)
def test_size_average_and_reduce_map_to_reduction_with_pytorchs_warning(size_average, reduce, reduction):
    with pytest.warns(UserWarning, match=f"please use reduction='{reduction}' instead"):
        layer = nn.MSELoss(size_average=size_average, reduce=reduce)
    assert layer.reduction == reduction
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        value = F.cross_entropy(
            minigrad.tensor(LOGITS), minigrad.tensor(CLASSES), size_average=size_average, reduce=reduce
        )
    assert value.shape == ((5,) if reduction == "none" else ())
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.functional.cross_entropy(
                torch.tensor(LOGITS), torch.tensor(CLASSES), size_average=size_average, reduce=reduce
            )
        np.testing.assert_allclose(value.array, theirs.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------- containers, utilities


def test_containers_register_their_modules_and_parameters_as_torch_does():
    pytest.importorskip("torch")

    def build(n):
        class Net(n.Module):
            def __init__(self):
                super().__init__()
                self.blocks = n.ModuleList([n.Linear(2, 2) for _ in range(2)])
                self.heads = n.ModuleDict({"a": n.Linear(2, 1), "b": n.Linear(2, 3)})
                self.scales = n.ParameterList([n.Parameter(torch.ones(2) if n is torch.nn else minigrad.ones(2))])
                self.extra = n.ParameterDict(
                    {"bias": n.Parameter(torch.zeros(1) if n is torch.nn else minigrad.zeros(1))}
                )

        return Net()

    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(ours.blocks) == 2 and "a" in ours.heads and list(ours.heads.keys()) == ["a", "b"]
    assert ours.get_submodule("heads.b").out_features == 3 and ours.get_parameter("blocks.1.weight").shape == (2, 2)
    sequence = nn.Sequential(nn.Linear(2, 2))
    sequence.append(nn.ReLU()).insert(0, nn.Identity())
    sequence.extend([nn.Tanh()])
    assert [type(m).__name__ for m in sequence] == ["Identity", "Linear", "ReLU", "Tanh"]


def test_clip_grad_norm_and_value_match_torch():
    pytest.importorskip("torch")
    grads = [rng(12).standard_normal((3, 2)), rng(13).standard_normal(4)]
    for norm_type in (2.0, 1.0, float("inf")):
        ours = [minigrad.zeros(g.shape, requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, requires_grad=True, dtype=torch.float64) for g in grads]
        for o, t, g in zip(ours, theirs, grads):
            o.grad, t.grad = minigrad.tensor(g), torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, max_norm=1.0, norm_type=norm_type)
        their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.0, norm_type=norm_type)
        assert total.item() == pytest.approx(their_total.item())
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.grad.array, t.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(ours, 0.1)
    assert max(float(abs(o.grad.array).max()) for o in ours) <= 0.1
    vector = nn.utils.parameters_to_vector(ours)
    nn.utils.vector_to_parameters(vector * 2, ours)
    assert vector.shape == (10,) and ours[1].tolist() == (vector[6:] * 2).tolist()


def test_layers_take_device_and_dtype():
    layer = nn.Linear(2, 3, device="cpu", dtype=minigrad.float64)
    assert (
        layer.weight.dtype == minigrad.float64
        and nn.BatchNorm1d(3, dtype=minigrad.float64).running_mean.dtype == minigrad.float64
    )
    assert nn.BatchNorm2d(3, bias=False).bias is None
    with pytest.raises(NotImplementedError, match="minigrad runs on the CPU with numpy"):
        nn.Conv2d(1, 1, 3, device="cuda")
