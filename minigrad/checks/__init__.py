"""Checking tools: ``gradcheck``/``gradgradcheck`` (finite differences, PyTorch's semantics)
and ``check_batchnorm`` (a BatchNorm checked against its definition, finite differences and
PyTorch, to second order; minigrad's own, a mistake from the gallery, or yours), with
``derive_batchnorm`` (its backward, node by node). ``import minigrad`` does not load them;
``minigrad.gradcheck`` and ``minigrad.check_batchnorm`` do, on first use."""

from minigrad.checks.bncheck import BatchNormReport, check_batchnorm
from minigrad.checks.bnderive import derive_batchnorm
from minigrad.checks.bnimpl import ImplementationError, load_function
from minigrad.checks.bnmistakes import MISTAKES
from minigrad.checks.finite_differences import central_differences
from minigrad.checks.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "MISTAKES",
    "BatchNormReport",
    "GradcheckError",
    "ImplementationError",
    "central_differences",
    "check_batchnorm",
    "derive_batchnorm",
    "gradcheck",
    "gradgradcheck",
    "load_function",
]
