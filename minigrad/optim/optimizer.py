"""Optimizers with PyTorch's update rules, names, defaults and state_dict format.

Updates run on the numpy arrays in place (they are not part of any graph), so a model's
parameters keep their identity and the optimizer keeps working after ``load_state_dict``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minigrad.autograd import enable_grad, mark_changed_in_place
from minigrad.tensor import Tensor


class Optimizer:
    """Holds parameter groups (dicts of params and hyper-parameters) and per-parameter state."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        params = group["params"]
        group = {**self.defaults, **group, "params": [params] if isinstance(params, Tensor) else list(params)}
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.is_leaf:
                raise ValueError(f"optimizer can only optimize leaf tensors, got {p!r}")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in group["params"]} or len({id(p) for p in group["params"]}) < len(group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor(np.zeros_like(p.grad.array))

    def _params_with_grad(self, group: dict[str, Any]) -> Iterable[tuple[Tensor, np.ndarray, dict[str, Any]]]:
        """(param, gradient array, state) for every param of the group that has a gradient (negated
        with ``maximize=True``). Each param's version is bumped: it is updated in place, so a
        graph that saved it is stale."""
        for p in group["params"]:
            if p.grad is not None:
                grad = -p.grad.array if group.get("maximize") else p.grad.array
                yield p, grad, self.state.setdefault(p, {})
                mark_changed_in_place(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient. ``closure``, if given, is called
        first (with grad mode on) to recompute the loss, which ``step`` returns, as in PyTorch."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self.update(group)
        return loss

    def update(self, group: dict[str, Any]) -> None:
        """The update rule, for one parameter group (each optimizer defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define update(group)")

    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: _copy(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        params_by_index: dict[int, Tensor] = {}
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict has a group of {len(saved['params'])} parameters where this optimizer "
                    f"has {len(group['params'])}"
                )
            params_by_index.update(zip(saved["params"], group["params"]))
            group.update({k: _from_saved(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for key, values in state_dict["state"].items():
            param = params_by_index[int(key)]
            self.state[param] = {k: _state_value(v, param) for k, v in values.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join([*lines, ")"])


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return Tensor(value.copy())
    return copy.deepcopy(value)


def _from_saved(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _state_value(value: Any, param: Tensor) -> Any:
    """Arrays (momentum, moments) come back as arrays of the param's dtype; numbers stay numbers."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.shape != param.shape:
            raise ValueError(f"optimizer state of shape {value.shape} does not match its parameter {param.shape}")
        return value.astype(param.dtype, copy=True)
    return value.item() if isinstance(value, np.ndarray) else value


def _plain_flags(name: str, **flags: Any) -> None:
    """PyTorch's implementation switches (foreach, fused, capturable, differentiable) change how
    its update runs, not what it computes; here there is one way, so only their defaults are accepted."""
    for flag, value in flags.items():
        if value:
            raise NotImplementedError(f"{name}({flag}={value!r}) is not supported: minigrad runs on the CPU with numpy")


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (PyTorch's formulation):

    g = grad + weight_decay * p
    b = g (first step), else momentum * b + (1 - dampening) * g
    g = g + momentum * b (nesterov), else b
    p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _plain_flags("SGD", foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay}
        super().__init__(params, {**defaults, "nesterov": nesterov, "maximize": maximize})

    def update(self, group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        for p, grad, state in self._params_with_grad(group):
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array
            if momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.copy()
                else:
                    buffer *= momentum
                    buffer += (1 - dampening) * grad
                grad = grad + momentum * buffer if group["nesterov"] else buffer
            p.array -= lr * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), as PyTorch computes it:

        m = beta1 * m + (1 - beta1) * g,    v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    eps is added *after* the bias-corrected square root. With ``amsgrad`` the running
    maximum of v is used instead of v.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: lr, eps and weight_decay must be >= 0")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        _plain_flags(
            type(self).__name__, foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused
        )
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}
        defaults.update(maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def update(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(p.array), exp_avg_sq=np.zeros_like(p.array))
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = np.zeros_like(p.array)
            state["step"] += 1
            if group["weight_decay"]:
                if group.get("decoupled_weight_decay"):
                    p.array *= 1 - lr * group["weight_decay"]  # AdamW: decay the weights directly
                else:
                    grad = grad + group["weight_decay"] * p.array  # Adam: L2 penalty in the gradient
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (grad - m)
            v *= beta2
            v += (1 - beta2) * grad * grad
            if group["amsgrad"]:
                np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                v = state["max_exp_avg_sq"]
            step = state["step"]
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = math.sqrt(1 - beta2**step)
            denominator = np.sqrt(v) / bias_correction2_sqrt + eps
            p.array -= (lr / bias_correction1) * m / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): p = p * (1 - lr * wd)
    before the Adam step, instead of adding wd * p to the gradient."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
            capturable=capturable, differentiable=differentiable, fused=fused, decoupled_weight_decay=True,
        )  # fmt: skip


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as PyTorch computes it:

    v = alpha * v + (1 - alpha) * g^2
    avg = sqrt(v) + eps   (centered: sqrt(v - mean(g)^2) + eps, with mean(g) a running average too)
    p = p - lr * g / avg   (with momentum: b = momentum * b + g / avg, p = p - lr * b)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if lr < 0 or eps < 0 or weight_decay < 0 or momentum < 0 or alpha < 0:
            raise ValueError("RMSprop: lr, alpha, eps, weight_decay and momentum must be >= 0")
        _plain_flags("RMSprop", capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum}
        super().__init__(params, {**defaults, "centered": centered, "maximize": maximize})

    def update(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state.update(step=0, square_avg=np.zeros_like(p.array))
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(p.array)
                if group["centered"]:
                    state["grad_avg"] = np.zeros_like(p.array)
            state["step"] += 1
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg += (1 - alpha) * (grad - grad_avg)
                avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
            else:
                avg = np.sqrt(square_avg) + eps
            if momentum > 0:
                buffer = state["momentum_buffer"]
                buffer *= momentum
                buffer += grad / avg
                p.array -= lr * buffer
            else:
                p.array -= lr * grad / avg


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), as PyTorch computes it:

    s = s + g^2,   p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0 or lr_decay < 0 or weight_decay < 0 or initial_accumulator_value < 0 or eps < 0:
            raise ValueError("Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value and eps must be >= 0")
        _plain_flags("Adagrad", foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay}
        super().__init__(
            params, {**defaults, "initial_accumulator_value": initial_accumulator_value, "maximize": maximize}
        )
        for group in self.param_groups:  # PyTorch makes Adagrad's state at construction
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": np.full_like(p.array, group["initial_accumulator_value"])}

    def update(self, group: dict[str, Any]) -> None:
        for p, grad, state in self._params_with_grad(group):
            state["step"] += 1
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            state["sum"] += grad * grad
            p.array -= clr * grad / (np.sqrt(state["sum"]) + group["eps"])


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), as PyTorch computes it:

    v = rho v + (1 - rho) g^2
    d = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho u + (1 - rho) d^2,   p = p - lr * d
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if lr < 0 or not 0.0 <= rho <= 1.0 or eps < 0 or weight_decay < 0:
            raise ValueError("Adadelta: lr, eps and weight_decay must be >= 0 and rho in [0, 1]")
        _plain_flags("Adadelta", foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def update(self, group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        for p, grad, state in self._params_with_grad(group):
            if not state:
                state.update(step=0, square_avg=np.zeros_like(p.array), acc_delta=np.zeros_like(p.array))
            state["step"] += 1
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * p.array
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            square_avg += (1 - rho) * grad * grad
            delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            p.array -= group["lr"] * delta
