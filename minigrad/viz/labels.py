"""The words and numbers on the nodes: names and symbols, shapes, values, gradients, op settings.

Symbols come from what was recorded, not from positions: a named stage's result is named by
the stage (``normalize`` gives x̂), a BatchNorm's weight and bias are γ and β, a scalar equal to
the module's ``eps`` is ε, and inside a named stage an unnamed tensor is written as the short
formula that made it (``x − μ``, ``1/√(σ² + ε)``).

>>> shape_text((4, 3)), shape_text(()), constant_text(np.asarray(16.0))
('(4, 3)', 'scalar', '16.0')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.nn.module import Module
from minigrad.ops import Primitive
from minigrad.viz.graph import Graph, OpNode, TensorNode

# The result of each of BatchNorm's stages (Ioffe & Szegedy 2015, Alg. 1), and the line of the
# algorithm it computes, by the name the stage is recorded under (nn/batchnorm.py).
# The derived route folds γ into the per-channel scale (stages "scale" and "scaled shift"), the
# fused op and the lesson's staging compute x̂ ("normalize") and then "scale and shift".
STAGE_RESULTS = {
    "mean": "μ",
    "variance": "σ²",
    "inverse std": "1/√(σ² + ε)",
    "normalize": "x̂",
    "scale": "s",
    "scale and shift": "y",
    "scaled shift": "y",
}
STAGE_TITLES = {
    "mean": "mean   μ = Σ x / m",
    "variance": "variance   σ² = Σ (x − μ)² / m",
    "inverse std": "inverse std   1/√(σ² + ε)",
    "normalize": "normalize   x̂ = (x − μ) / √(σ² + ε)",
    "scale": "scale   s = γ / √(σ² + ε)",
    "scale and shift": "scale and shift   y = γ x̂ + β",
    "scaled shift": "scale and shift   y = (x − μ) s + β = γ x̂ + β",
}
# Symbols of module attributes, by the module's class name prefix.
PARAMETER_SYMBOLS = {
    "BatchNorm": {"weight": "γ", "bias": "β", "running_mean": "running μ", "running_var": "running σ²"},
}
CONSTANT_SYMBOLS = {"eps": "ε"}
VIEWS = ("Reshape", "Expand", "Permute")  # ops that show the same values in another shape
LONGEST_FORMULA = 16  # characters: longer formulas would crowd the picture; such tensors stay unnamed


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(4, 3)``; ``scalar`` for (); always in parentheses, so no shape reads as a number."""
    if shape is None:
        return "shape unknown"
    return "scalar" if shape == () else f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"


def number(value: float) -> str:
    """Three significant digits; a negative zero (a ReLU's gradient) is written 0."""
    return f"{value + 0.0:.3g}"


def constant_text(array: np.ndarray) -> str:
    """A scalar constant's value, written as a number (``16.0``, ``1e-05``, ``2``)."""
    value = array.item()
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text if any(c in text for c in ".en") else text + ".0"
    return str(value)


def value_text(array: np.ndarray) -> str:
    """The values themselves for up to 4 elements, else mean, std and the largest magnitude."""
    if array.size <= 4:
        values = ", ".join(number(v) for v in array.reshape(-1).tolist())
        return values if array.ndim == 0 else f"[{values}]"
    a = array.astype(np.float64)
    return f"mean {number(a.mean())}, std {number(a.std())}, max|·| {number(np.abs(a).max())}"


def grad_text(grad: np.ndarray) -> str:
    """Gradient statistics: mean, std and max |g| (the values themselves for up to 4 elements)."""
    if grad.size <= 4:
        return value_text(grad)
    g = grad.astype(np.float64)
    return f"mean {number(g.mean())}, std {number(g.std())}, max|g| {number(np.abs(g).max())}"


def op_settings(op: Primitive) -> str:
    """An op's own settings, short (``axes=(0,), keepdim=True``): what its name does not say."""
    skip = {"inputs", "ran_at", "scope", "structure", *type(op).saved_arrays}
    parts = []
    for cls in type(op).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot in skip or not hasattr(op, slot):
                continue
            value = getattr(op, slot)
            if value is None:
                continue
            if isinstance(value, np.ndarray):
                text = f"array{shape_text(value.shape)}"
            elif isinstance(value, np.dtype):
                text = str(value)
            elif isinstance(value, tuple) and any(isinstance(v, (np.ndarray, slice, list)) for v in value):
                text = "[...]"
            else:
                text = repr(value)
            parts.append(f"{slot}={text}" if len(text) <= 24 else f"{slot}=...")
    return ", ".join(parts)


# ----------------------------------------------------------------------------- symbols


def name_nodes(graph: Graph) -> None:
    """Give symbols to what the recorded scopes identify (see the module docstring)."""
    for node in graph.tensors:
        if node.kind in ("parameter", "buffer") and node.name:
            node.symbol = _parameter_symbol(node, graph)
        elif node.kind == "constant" and node.shape == () and node.tensor is not None:
            node.symbol = _constant_symbol(node)
    _name_stage_results(graph)
    for node in graph.tensors:  # in order of computation: formulas build on the symbols before them
        if node.op is not None and node.symbol is None and node.name is None and _in_stage(node.op):
            formula = _formula(node.op)
            if formula is not None and len(formula) <= LONGEST_FORMULA:
                node.symbol = formula


def display_name(node: TensorNode) -> str | None:
    return node.symbol or node.name


def _parameter_symbol(node: TensorNode, graph: Graph) -> str | None:
    attribute = (node.name or "").rsplit(".", 1)[-1]
    for module in _modules_reading(node):
        for prefix, symbols in PARAMETER_SYMBOLS.items():
            if type(module).__name__.startswith(prefix) and attribute in symbols:
                return symbols[attribute]
    return None


def _constant_symbol(node: TensorNode) -> str | None:
    """ε for a scalar equal to the ``eps`` of a module that reads it, or added in the inverse std stage."""
    assert node.tensor is not None
    value = node.tensor.array.item()
    for module in _modules_reading(node):
        for attribute, symbol in CONSTANT_SYMBOLS.items():
            setting = getattr(module, attribute, None)
            if isinstance(setting, float) and abs(setting - value) <= 1e-6 * abs(setting):  # float32 rounds it
                return symbol
    if any(op.name == "Add" and op.scope[-1:] == ("inverse std",) for op in node.consumers):
        return "ε"  # the stage computes 1/√(σ² + ε), also where no module is in sight (a fused backward)
    return None


def _modules_reading(node: TensorNode) -> list[Module]:
    return [m for op in node.consumers for m in reversed(op.scope) if isinstance(m, Module)]


def _in_stage(op: OpNode) -> bool:
    return bool(op.scope) and isinstance(op.scope[-1], str)


def _name_stage_results(graph: Graph) -> None:
    """A named stage's result (made inside it and read outside it, or an output) takes the
    stage's symbol; when there are several, the one computed last does."""
    stages: dict[tuple[Any, ...], list[TensorNode]] = {}
    for node in graph.tensors:
        op = node.op
        if op is None or not _in_stage(op) or op.scope[-1] not in STAGE_RESULTS:
            continue
        read_outside = any(c.scope != op.scope for c in node.consumers) or node.kind == "output"
        if read_outside:
            stages.setdefault(tuple(id(s) for s in op.scope), []).append(node)
    for results in stages.values():
        results = [n for n in results if n.op is not None and n.op.name not in VIEWS]
        if not results:
            continue  # only a view of a parameter left the stage (γ reshaped); its formula names it
        last = max(results, key=lambda n: n.number)
        assert last.op is not None
        if last.symbol is None and last.name is None:
            last.symbol = STAGE_RESULTS[last.op.scope[-1]]


def _formula(op: OpNode) -> str | None:
    """The short formula of ``op``'s output in terms of its named inputs, or None."""
    names = [_operand(t) for t in op.inputs]
    kind = op.name
    if kind in VIEWS and names[0]:
        return names[0]  # the same values, viewed in another shape
    if kind == "Neg" and names[0]:
        return f"−{_atom(names[0])}"
    if kind == "Sum" and names[0]:
        return f"Σ {_atom(names[0])}"
    if len(names) != 2 or None in names:
        return None
    a, b = names
    assert a is not None and b is not None
    if kind == "Add":
        negated = op.inputs[1].op
        if negated is not None and negated.name == "Neg" and _operand(negated.inputs[0]):
            return f"{a} − {_operand(negated.inputs[0])}"
        return f"{a} + {b}"
    if kind == "Mul":
        return f"{_atom(a)}²" if op.inputs[0] is op.inputs[1] else f"{_atom(a)}·{_atom(b)}"
    if kind == "Div":
        return f"{_atom(a)} / {_atom(b)}"
    if kind == "Pow":
        powers = {"-0.5": f"1/√({a})", "0.5": f"√({a})", "2.0": f"{_atom(a)}²"}
        return powers.get(b, f"{_atom(a)}^{b}")
    return None


def _operand(node: TensorNode) -> str | None:
    if node.symbol or node.name:
        return node.symbol or node.name
    if node.kind == "constant" and node.shape == () and node.tensor is not None:
        return constant_text(node.tensor.array)
    return None


def _atom(text: str) -> str:
    """``text`` as an operand: in parentheses when it is itself a sum, product or quotient
    outside any parentheses it already has."""
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0 and c in " ·/" and not text.startswith("1/√"):
            return f"({text})"
    return text
