"""The BatchNorms that ``check_batchnorm`` can check, all behind one interface.

An ``Implementation`` is a BatchNorm in PyTorch's functional form,
``batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps) -> y``
(updating the running statistics in place in training mode). There are three kinds:

* minigrad's two routes, ``DERIVED`` and ``FUSED`` (``minigrad/nn/batchnorm.py``);
* the gallery of mistakes (``bnmistakes.py``), each minigrad's BatchNorm with one line changed;
* your own function ``fn(x, gamma, beta, eps) -> y`` (training mode, batch statistics), wrapped
  by ``from_function`` or loaded from a file by ``load_function("path/to/file.py:function")``.

>>> impl = from_function(lambda x, gamma, beta, eps: x * 1.0, "identity")
>>> impl.name, bool(impl.training_only)
('identity', True)
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from minigrad.nn.batchnorm import Normalized, batch_norm, normalize
from minigrad.tensor import Tensor


class ImplementationError(Exception):
    """The BatchNorm under check could not be run; the message says why, in one line."""


@dataclass(frozen=True)
class Implementation:
    """A BatchNorm under check.

    ``batch_norm`` has ``minigrad.nn.functional.batch_norm``'s signature. ``training_only``, when
    not empty, says why eval mode and the running statistics cannot be checked. ``normalize``, when
    given, has ``minigrad.nn.batchnorm.normalize``'s signature (x may be given three names), so that
    the check can split dx into its three paths; ``why_no_paths`` says why not otherwise."""

    name: str
    description: str
    batch_norm: Callable[..., Tensor]
    training_only: str = ""
    normalize: Callable[..., Normalized] | None = None
    why_no_paths: str = ""
    source: str | None = None  # your function's file: errors raised there are reported, not re-raised

    def error(self, error: Exception) -> ImplementationError:
        """What went wrong inside your function (or in the backward it defines), in one line."""
        if isinstance(error, ImplementationError):
            return error
        if isinstance(error, NotImplementedError):
            return ImplementationError(f"{self.name} is not written yet: {error or 'it raises NotImplementedError'}")
        return ImplementationError(f"{self.name} raised {type(error).__name__}: {error}{_location(error, self.source)}")


DERIVED = Implementation(
    "derived (a)",
    "minigrad's BatchNorm from primitive ops; the engine derives its backward (batch_norm(..., fused=False))",
    partial(batch_norm, fused=False),
    normalize=normalize,
)
FUSED = Implementation(
    "fused (b)",
    "minigrad's BatchNorm as one op with the closed-form backward (batch_norm(..., fused=True))",
    partial(batch_norm, fused=True),
    why_no_paths="the fused op is one node: x enters it once, so autodiff cannot split dx into paths",
)
ROUTES = {"derived": DERIVED, "fused": FUSED}

TRAINING_ONLY = "fn(x, gamma, beta, eps) computes training mode with batch statistics; it keeps no running statistics"


def from_function(fn: Callable[..., Any], name: str | None = None) -> Implementation:
    """Wrap your ``fn(x, gamma, beta, eps) -> y`` (x: (N, C) or (N, C, *), gamma and beta: (C,),
    all Tensors; y: a Tensor like x) so that ``check_batchnorm`` can run it. Anything it raises
    becomes an ``ImplementationError`` that says where, in one line."""
    name = name or str(getattr(fn, "__name__", "your function"))
    takes_four_arguments = _takes_four_arguments(fn)

    def run(
        input: Tensor,
        running_mean: Tensor | None,
        running_var: Tensor | None,
        weight: Tensor | None = None,
        bias: Tensor | None = None,
        training: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Tensor:
        if not takes_four_arguments:
            raise ImplementationError(
                f"{name} takes {_parameters(fn)}: the check calls fn(x, gamma, beta, eps), four arguments"
            )
        y = fn(input, weight, bias, eps)
        if not isinstance(y, Tensor):
            raise ImplementationError(
                f"{name} returned {type(y).__module__}.{type(y).__name__}, not a minigrad Tensor: build y from "
                "Tensor operations (not numpy), so that it can be differentiated"
            )
        if y.shape != input.shape:
            raise ImplementationError(
                f"{name} returned shape {y.shape} for x of shape {input.shape}: y is shaped like x"
            )
        if input.requires_grad and not y.requires_grad:
            raise ImplementationError(
                f"{name}'s output does not depend on x in the graph: it was computed outside it (numpy, .array or "
                ".detach()); build y from Tensor operations"
            )
        return y

    return Implementation(
        name,
        "your BatchNorm, fn(x, gamma, beta, eps) -> y in training mode",
        run,
        training_only=TRAINING_ONLY,
        why_no_paths="your function takes x once, so autodiff cannot give x three names",
        source=_source_file(fn),
    )


def load_function(spec: str) -> Callable[..., Any]:
    """The function named by ``"path/to/file.py:function"``; ImplementationError says what is
    wrong with the file or the name."""
    path_text, colon, function = spec.rpartition(":")
    if not colon or not path_text or not function:
        raise ImplementationError(f"--impl expects FILE.py:FUNCTION (or one of {', '.join(ROUTES)}), got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise ImplementationError(f"--impl {spec}: no such file {path}")
    module_name = f"minigrad_impl_{abs(hash(str(path.resolve())))}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ImplementationError(f"--impl {spec}: {path} is not a Python file")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    try:
        loader_spec.loader.exec_module(module)
    except SyntaxError as error:
        raise ImplementationError(f"--impl {spec}: {path} line {error.lineno}: SyntaxError: {error.msg}") from None
    except Exception as error:
        where = _location(error, str(path.resolve()))
        message = f"--impl {spec}: importing {path} raised {type(error).__name__}: {error}{where}"
        raise ImplementationError(message) from None
    if not hasattr(module, function):
        defined = sorted(n for n, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module_name)
        raise ImplementationError(
            f"--impl {spec}: {path} has no function {function!r} (it defines: {', '.join(defined) or 'none'})"
        )
    fn = getattr(module, function)
    if not callable(fn):
        raise ImplementationError(f"--impl {spec}: {function} in {path} is a {type(fn).__name__}, not a function")
    return fn  # type: ignore[no-any-return]


def _takes_four_arguments(fn: Callable[..., Any]) -> bool:
    try:
        inspect.signature(fn).bind(None, None, None, None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): let the call say
        return True
    return True


def _parameters(fn: Callable[..., Any]) -> str:
    """'(x, gamma, beta)': the parameters as written."""
    return str(inspect.signature(fn)).split(" ->", 1)[0]


def _source_file(fn: Callable[..., Any]) -> str | None:
    try:
        source = inspect.getsourcefile(fn)
    except TypeError:  # a builtin or a C function
        return None
    return str(Path(source).resolve()) if source else None


def _location(error: BaseException, source: str | None) -> str:
    """' (file.py line N)': the last line of ``source`` that the traceback passed through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if str(Path(f.filename).resolve()) == source]
    return f" ({Path(frames[-1].filename).name} line {frames[-1].lineno})" if frames else ""
