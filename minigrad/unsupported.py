"""What minigrad does not do, said clearly. Below everything; no imports.

A PyTorch program that reaches a feature minigrad does not have gets a ``NotImplementedError``
that names the feature and says why, instead of an ``AttributeError`` from deep inside:

* ``unsupported``: what needs other hardware or number formats (a GPU, half precision, complex
  numbers, sparse tensors, ``torch.compile``, ``torch.jit``); the message says that minigrad
  runs on the CPU with numpy;
* ``not_covered``: a PyTorch name minigrad simply does not implement (``torch.nn.LSTM``).

>>> raise unsupported("torch.compile")
Traceback (most recent call last):
...
minigrad.unsupported.Unsupported: torch.compile is not supported: minigrad runs on the CPU with numpy.
"""

from __future__ import annotations

CPU_WITH_NUMPY = "minigrad runs on the CPU with numpy"
COVERAGE = "float tensors, autograd, and the nn, optim and data subset listed in docs/pytorch.md"


class Unsupported(NotImplementedError):  # noqa: N818 (it is a NotImplementedError: the suffix would mislead)
    """A PyTorch feature minigrad does not have."""


class UnsupportedName(Unsupported, AttributeError):  # noqa: N818 (as Unsupported)
    """A Tensor attribute minigrad does not have (``x.to_sparse``). It is also an
    ``AttributeError``, so that ``hasattr(x, "to_sparse")`` answers False instead of failing."""


def unsupported(feature: str, hint: str = "") -> Unsupported:
    """The error to raise for ``feature``: its name, the reason, and what to do instead (``hint``)."""
    return Unsupported(_message(feature, hint))


def unsupported_name(feature: str, hint: str = "") -> UnsupportedName:
    """The same, for a missing attribute (raised from a ``__getattr__``)."""
    return UnsupportedName(_message(feature, hint))


def not_covered(name: str) -> Unsupported:
    """The error for a PyTorch name that minigrad does not implement."""
    return Unsupported(_not_covered(name))


def not_covered_name(name: str) -> UnsupportedName:
    """The same, for a missing Tensor attribute (also an AttributeError, for hasattr)."""
    return UnsupportedName(_not_covered(name))


def _not_covered(name: str) -> str:
    return f"{name} is not implemented in minigrad, which covers {COVERAGE} ({CPU_WITH_NUMPY})."


def _message(feature: str, hint: str) -> str:
    return f"{feature} is not supported: {CPU_WITH_NUMPY}." + (f" {hint}" if hint else "")


# PyTorch's namespaces and functions that need hardware or formats minigrad does not have.
UNSUPPORTED_FEATURES = {
    "compile": "torch.compile",
    "jit": "torch.jit (TorchScript)",
    "sparse": "torch.sparse (sparse tensors)",
    "sparse_coo_tensor": "sparse tensors",
    "sparse_csr_tensor": "sparse tensors",
    "complex": "complex tensors",
    "view_as_complex": "complex tensors",
    "view_as_real": "complex tensors",
    "amp": "torch.amp (mixed precision)",
    "autocast": "torch.autocast (mixed precision)",
    "mps": "torch.mps (Apple GPUs)",
    "xpu": "torch.xpu (Intel GPUs)",
    "distributed": "torch.distributed",
    "quantization": "torch.quantization",
    "ao": "torch.ao (quantization)",
    "export": "torch.export",
    "onnx": "torch.onnx",
}


def missing_attribute(module: str, name: str) -> Exception:
    """What ``module.name`` raises when it does not exist: a plain AttributeError for private
    names, else a NotImplementedError that names what is missing (``torch.nn.LSTM``). That one is
    an AttributeError too, because tools probe modules with ``hasattr`` (pytest, for one); so
    ``from torch.nn import LSTM`` gets Python's ImportError, which names it as well."""
    if name.startswith("_"):
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    torch_name = module.replace("minigrad", "torch", 1) + "." + name
    if module == "minigrad" and name in UNSUPPORTED_FEATURES:
        return unsupported_name(UNSUPPORTED_FEATURES[name])
    return not_covered_name(torch_name)


def submodule_or_missing(module: str, name: str) -> object:
    """For a package's ``__getattr__``: its submodule ``name`` (imported now), or the error of
    ``missing_attribute``."""
    import importlib
    import importlib.util

    if not name.startswith("_") and importlib.util.find_spec(f"{module}.{name}") is not None:
        return importlib.import_module(f"{module}.{name}")
    raise missing_attribute(module, name)
