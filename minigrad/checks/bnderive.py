"""BatchNorm's backward, derived node by node: ``derive_batchnorm()`` / ``minigrad check-bn --derive``.

As cs231n's ``batchnorm_backward`` and the "backprop ninja" exercise do by hand, but on the
engine itself: it records the derived route's forward, as ``batch_norm_derived`` runs it
(``normalize``, then ``scale_normalized``, in ``minigrad/nn/batchnorm.py``),

    x -> mu -> x - mu -> var -> inv_std = 1/sqrt(var + eps) -> scale = gamma inv_std
      -> y = (x - mu) scale + beta

(gamma folded into the per-channel scale, so x_hat = (x - mu) inv_std is never a node), prints
it as a numbered listing of the recorded ops, then the gradient of L = sum(y * dy) at every
stage, by autodiff and by its hand formula, side by side. Then dx's three contributions and how
they collapse into the one-line closed form, and the route mean -> variance: exactly zero at
first order (sum(x - mu) = 0), not at second, which is why detaching the mean inside the
variance passes every first-order check and fails every Hessian-vector product.

>>> report = derive_batchnorm(verbose=False)
>>> report.passed, report.edges_out_of_x, len(report.routes)
(True, ['sum', 'add'], 4)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from minigrad.autograd import grad, parents
from minigrad.checks import bncheck
from minigrad.checks import bnreference as ref
from minigrad.checks.bnimpl import DERIVED
from minigrad.checks.bnmistakes import MISTAKES
from minigrad.nn.batchnorm import channel_layout, normalize, scale_normalized
from minigrad.tensor import Tensor

TOLERANCE = 1e-12  # max |autodiff - formula| in float64, every value being O(1)
SPREAD = (2.0, 1.0, 1.5)  # no nearly constant channel here: every stage stays O(1)


# ----------------------------------------------------------------------------- the listing


def forward_order(output: Tensor) -> list[Tensor]:
    """The tensors that require grad behind ``output``, each after its inputs, in the order the
    forward made them (a depth-first walk over each op's inputs, in order; no recursion)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(output, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        stack.extend((p, False) for p in reversed(parents(tensor)) if p.requires_grad and id(p) not in seen)
    return order


def _attributes(op: Any) -> list[str]:
    """An op's settings (Sum's axes, Reshape's shape): its slots other than the engine's."""
    engine = ("inputs", "ran_at", "scope", "structure")
    slots = [s for cls in type(op).__mro__ for s in getattr(cls, "__slots__", ()) if s not in engine]
    values = {s: getattr(op, s, None) for s in slots}
    return [f"{s}={v!r}" for s, v in values.items() if v is not None and not isinstance(v, np.ndarray)]


def listing(output: Tensor, names: dict[str, Tensor], stages: dict[str, Tensor] | None = None) -> list[str]:
    """The ops behind ``output``, one per line, jaxpr-style: ``%4 = add(%x, %3)  # (4, 3) float64``.
    Leaves are named by ``names``; constants (which do not require grad) are written inline;
    ``stages`` adds a name in the comment of the tensors it lists.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> print("\\n".join(listing((x * 3).sum(), {"x": x})))
    %x = input                                   # (2,) float32
    %1 = mul(%x, 3)                              # (2,) float32
    %2 = sum(%1, axes=(0,), keepdim=False)       # () float32
    """
    label = {id(t): f"%{name}" for name, t in names.items()}
    stage_of = {id(t): name for name, t in (stages or {}).items()}
    lines = []

    def argument(t: Any) -> str:
        if id(t) in label:
            return label[id(t)]
        return f"{t.array.item():g}" if t.array.size == 1 else f"const{t.shape}"

    for tensor in forward_order(output):
        op = tensor.grad_fn
        if op is None or not op.inputs:
            label.setdefault(id(tensor), f"%input{len(label)}")
            text = f"{label[id(tensor)]} = input"
        else:
            label[id(tensor)] = f"%{sum(1 for v in label.values() if v[1:].isdigit()) + 1}"
            arguments = [argument(p) for p in parents(tensor)] + _attributes(op)
            text = f"{label[id(tensor)]} = {type(op).__name__.lower()}({', '.join(arguments)})"
        comment = f"# {tensor.shape} {tensor.dtype.name if hasattr(tensor.dtype, 'name') else tensor.dtype}"
        stage = stage_of.get(id(tensor), "")
        lines.append(f"{text:44s} {comment:22s} {stage}".rstrip())
    return lines


def routes(source: Tensor, output: Tensor) -> list[list[Tensor]]:
    """Every route from ``source`` to ``output`` through the graph's tensors (an op that reads a
    tensor twice, as the square (x - mu) * (x - mu) does, is one route, not two)."""
    children: dict[int, list[Tensor]] = {}
    for tensor in forward_order(output):
        for p in {id(p): p for p in parents(tensor)}.values():
            children.setdefault(id(p), []).append(tensor)
    found: list[list[Tensor]] = []
    stack = [[source]]
    while stack:
        route = stack.pop()
        if route[-1] is output:
            found.append(route)
            continue
        stack.extend(route + [child] for child in reversed(children.get(id(route[-1]), [])))
    return found


# ----------------------------------------------------------------------------- the derivation


@dataclass
class DerivationReport:
    """What ``derive_batchnorm`` found; ``passed`` if every formula matches autodiff to 1e-12,
    the mean -> variance route is below 1e-12 at first order and not zero at second."""

    listing: list[str] = field(default_factory=list)
    edges_out_of_x: list[str] = field(default_factory=list)  # the ops that read x
    routes: list[str] = field(default_factory=list)  # the role of each route from x to y
    route_stages: list[str] = field(default_factory=list)  # each route by its stages: "x -> mu -> x - mu -> y"
    nodes: dict[str, float] = field(default_factory=dict)  # stage -> max |autodiff - formula|
    paths: dict[str, float] = field(default_factory=dict)  # dx's contributions -> max |autodiff - formula|
    mean_variance_first: float = 0.0  # max |that route's term of dx|, by autodiff
    mean_variance_second: float = 0.0  # max |its share of H v|

    @property
    def passed(self) -> bool:
        errors = list(self.nodes.values()) + list(self.paths.values()) + [self.mean_variance_first]
        return max(errors) < TOLERANCE and self.mean_variance_second > 1e-6


def _role(route: list[Tensor], mean: Tensor, var: Tensor) -> str:
    through = (any(t is mean for t in route), any(t is var for t in route))
    return {
        (False, False): "direct",
        (False, True): "through the batch variance",
        (True, False): "through the batch mean",
        (True, True): "through the mean into the variance: zero, d var/d mu = -2/m sum(x - mu) = 0",
    }[through]


def derive_batchnorm(
    shape: tuple[int, ...] = (4, 3), seed: int = 0, file: TextIO | None = None, verbose: bool = True
) -> DerivationReport:
    """Derive BatchNorm's backward node by node and print it (to ``file``, standard output by
    default) unless ``verbose=False``; returns a ``DerivationReport``."""
    out = file or sys.stdout

    def say(text: str = "") -> None:
        if verbose:
            print(text, file=out)

    report = DerivationReport()
    values = ref.inputs(shape, "float64", seed, channel_std=SPREAD)
    eps = ref.EPS
    x, gamma, beta = (Tensor(values[k], requires_grad=True) for k in ("x", "weight", "bias"))
    s = normalize(x, eps)  # batch_norm_derived's two lines: the stages, then y from them
    y = scale_normalized(s, gamma, beta)
    (scale,) = [t for t in forward_order(y) if any(p is s.inv_std for p in parents(t))]  # gamma * inv_std
    stages = {"mu": s.mean, "x - mu": s.centered, "var": s.var, "inv_std = 1/sqrt(var + eps)": s.inv_std}
    stages.update({"scale = gamma inv_std": scale, "y = (x - mu) scale + beta": y})

    say(f"BatchNorm node by node: x of shape {shape}, float64, train mode, eps = {eps:g}, L = sum(y * dy)")
    say("\n1. The derived route's forward (batch_norm_derived), as the engine recorded it: one line per op,")
    say("   constants inline. gamma is folded into the per-channel scale, so x_hat = (x - mu) inv_std is no node:")
    say("   y = (x - mu) * (gamma inv_std) + beta, the same value as gamma x_hat + beta")
    report.listing = listing(y, {"x": x, "gamma": gamma, "beta": beta}, stages)
    for line in report.listing:
        say(f"   {line}")
    number = {id(t): line.split()[0] for t, line in zip(forward_order(y), report.listing)}
    readers = [t for t in forward_order(y) if any(p is x for p in parents(t))]
    report.edges_out_of_x = [type(t.grad_fn).__name__.lower() for t in readers]
    found = routes(x, y)
    report.routes = [_role(route, s.mean, s.var) for route in found]
    say(f"\n   x has {len(readers)} edges in the graph, into "
        f"{' and '.join(f'{number[id(t)]} {name}' for t, name in zip(readers, report.edges_out_of_x))}; "
        f"there are {len(found)} routes from x to y:")  # fmt: skip
    short = {id(x): "x", id(s.mean): "mu", id(s.centered): "x - mu", id(s.var): "var", id(s.inv_std): "inv_std"}
    short.update({id(scale): "scale", id(y): "y"})
    report.route_stages = [" -> ".join(short[id(t)] for t in route if id(t) in short) for route in found]
    for route, named, role in sorted(zip(found, report.route_stages, report.routes), key=lambda r: len(r[0])):
        say(f"     {named:50s} ({len(route) - 1} ops)  {role}")
    say("   dx is the sum of one chain-rule term per route. The three named paths of dx (below) are the three")
    say("   roles of x: direct, in the mean (two routes, one of them zero), in the variance.")

    # ---- the gradient at every stage, by autodiff and by hand (cs231n's batchnorm_backward)
    dy = values["dy"]
    axes, per_channel, m = channel_layout(dy)
    names = ("dy", "dbeta", "dscale", "dgamma", "dinv_std", "dvar", "d(x - mu)", "dmu", "dx")
    tensors = [y, beta, scale, gamma, s.inv_std, s.var, s.centered, s.mean, x]
    autodiff = dict(zip(names, (g.array for g in grad(y, tensors, Tensor(dy)))))
    a = normalize(values["x"], eps)  # the same stages as arrays, for the formulas
    g = values["weight"].reshape(per_channel)

    def total(v: np.ndarray) -> np.ndarray:  # sum over the m values of each channel
        return v.sum(axis=axes, keepdims=True)

    hand: dict[str, tuple[str, np.ndarray]] = {"dy": ("the upstream gradient, given", dy)}
    hand["dbeta"] = ("sum dy", total(dy).reshape(-1))
    hand["dscale"] = ("sum dy * (x - mu)", total(dy * a.centered))
    d_scale = hand["dscale"][1]
    hand["dgamma"] = ("dscale * inv_std   (= sum dy * x_hat)", (d_scale * a.inv_std).reshape(-1))
    hand["dinv_std"] = ("dscale * gamma", d_scale * g)
    d_inv_std = hand["dinv_std"][1]
    hand["dvar"] = ("dinv_std * -1/2 (var + eps)^(-3/2)", d_inv_std * -0.5 * (a.var + eps) ** -1.5)
    d_var = hand["dvar"][1]
    hand["d(x - mu)"] = ("dy * scale  +  dvar * 2 (x - mu) / m", dy * g * a.inv_std + d_var * 2 * a.centered / m)
    d_centered = hand["d(x - mu)"][1]
    hand["dmu"] = ("-sum d(x - mu)", -total(d_centered))
    hand["dx"] = ("d(x - mu)  +  dmu / m", d_centered + hand["dmu"][1] / m)
    say(f"\n2. The gradient of L at every stage, from y back to x: autodiff (grad(L, stage)) beside the hand "
        f"formula (m = {m})")  # fmt: skip
    say(f"   {'stage':10s} {'hand formula':44s} {'max |value|':>11s}  {'max |autodiff - formula|':>24s}")
    for name, (formula, value) in hand.items():
        error = float(np.abs(autodiff[name].reshape(value.shape) - value).max())
        report.nodes[name] = error
        say(f"   {name:10s} {formula:44s} {np.abs(value).max():11.3e}  {error:24.1e}")
    say("   (dmu = -scale sum dy + dvar * (-2/m) sum(x - mu): the second term is the mean -> variance route.")
    say("   cs231n stages x_hat as a node: its dx_hat = gamma dy is inside dy * scale = dx_hat * inv_std, and its")
    say("   dinv_std = sum dx_hat * (x - mu) is dscale * gamma above.)")

    # ---- dx's three contributions and the closed form
    paths = bncheck.dx_paths(DERIVED, values)
    formulas = bncheck.closed_form_paths(values)
    texts = {
        bncheck.PATH_NAMES[0]: "gamma inv_std dy",
        bncheck.PATH_NAMES[1]: "-gamma inv_std / m * sum dy",
        bncheck.PATH_NAMES[2]: "-gamma inv_std x_hat / m * sum(dy x_hat)",
    }
    say("\n3. dx's three contributions (x given three names: x_direct, x_mean, x_var), by autodiff against")
    say("   their formulas, and how they collapse into the one-line closed form")
    for name, text in texts.items():
        error = float(np.abs(paths[name] - formulas[name]).max())
        report.paths[name] = error
        say(f"   {name:28s} {text:42s} max |path| {np.abs(paths[name]).max():9.3e}  error {error:8.1e}")
    closed = g * a.inv_std / m * (m * dy - total(dy) - a.x_hat * total(dy * a.x_hat))
    report.paths["sum = closed form"] = error = float(np.abs(sum(formulas.values()) - closed).max())
    say("   their sum, the closed form: dx = gamma inv_std / m * (m dy - sum dy - x_hat sum(dy x_hat))")
    say(f"   {'':28s} {'max |sum of the three - closed form|':42s} {'':20s} {error:8.1e}")
    report.paths["closed form = autodiff dx"] = error = float(np.abs(closed - autodiff["dx"]).max())
    say(f"   {'':28s} {'max |closed form - autodiff dx|':42s} {'':20s} {error:8.1e}")

    # ---- the mean -> variance route: zero at first order, not at second
    detached = MISTAKES["mean-detached-in-variance"].implementation
    first = bncheck.forward_and_gradients(DERIVED, values, True)["x"]
    first_detached = bncheck.forward_and_gradients(detached, values, True)["x"]
    term = d_var * (-2 / m) * total(a.centered) / m
    report.mean_variance_first = float(np.abs(first - first_detached).max())
    second = bncheck.hessian_vector_product(DERIVED, values, True)
    second_detached = bncheck.hessian_vector_product(detached, values, True)
    report.mean_variance_second = max(float(np.abs(second[k] - second_detached[k]).max()) for k in second)
    say("\n4. The route mean -> variance: dvar * (d var / d mu) * (d mu / dx) = dvar * (-2/m) sum(x - mu) / m")
    say(f"   first order:  its term of dx, max |term| by the formula {np.abs(term).max():8.1e}, by autodiff "
        f"{report.mean_variance_first:8.1e}")  # fmt: skip
    say("                 (autodiff: dx minus dx with the mean detached inside the variance)")
    say(f"   second order: its share of H v, max {report.mean_variance_second:8.2e}")
    say("                 (H v minus H v with the mean detached inside the variance)")
    say("   Why: the route's own term vanishes for every x (sum(x - mu) = 0), so cutting it changes no gradient.")
    say("   But the cut also freezes mu inside the variance path's term, dvar * 2 (x - mu) / m, and the second")
    say("   derivative of that term needs d(x - mu)/dx = 1 - 1/m, not 1: the Hessian of var is 2/m (I - 11^T/m),")
    say("   detached 2/m I. So detaching the mean inside the variance passes every first-order check and fails")
    say("   every Hessian-vector product (minigrad check-bn --mistake mean-detached-in-variance).")
    say("\nPASSED: every formula matches autodiff to 1e-12" if report.passed else "\nFAILED: see the errors above")
    return report
