"""Checking tools: ``gradcheck``/``gradgradcheck`` (finite differences, PyTorch's semantics)
and ``check_batchnorm`` (BatchNorm's gradients four ways). ``import minigrad`` does not load
them; ``minigrad.gradcheck`` and ``minigrad.check_batchnorm`` do, on first use."""

from minigrad.checks.bncheck import BatchNormReport, check_batchnorm
from minigrad.checks.finite_differences import central_differences
from minigrad.checks.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["BatchNormReport", "GradcheckError", "central_differences", "check_batchnorm", "gradcheck", "gradgradcheck"]
