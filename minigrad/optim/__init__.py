"""Optimizers and learning-rate schedules: ``from minigrad import optim``."""

from typing import Any

from minigrad.optim import lr_scheduler
from minigrad.optim.optimizer import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop
from minigrad.unsupported import submodule_or_missing

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]


def __getattr__(name: str) -> Any:
    """A PyTorch optimizer minigrad does not have (``optim.LBFGS``): a NotImplementedError naming it."""
    return submodule_or_missing("minigrad.optim", name)
