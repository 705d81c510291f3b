"""Optimizers and learning-rate schedules: ``from minigrad import optim``."""

from minigrad.optim import lr_scheduler
from minigrad.optim.optimizer import SGD, Adam, AdamW, Optimizer

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
