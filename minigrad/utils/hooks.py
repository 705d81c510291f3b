"""``torch.utils.hooks``: the handle that ``register_hook`` and the module hooks return.

>>> import minigrad
>>> x = minigrad.ones(2, requires_grad=True)
>>> handle = x.register_hook(lambda grad: grad * 2)
>>> isinstance(handle, RemovableHandle)
True
>>> handle.remove()
"""

from typing import Any

from minigrad.autograd import RemovableHandle
from minigrad.unsupported import missing_attribute

__all__ = ["RemovableHandle"]


def __getattr__(name: str) -> Any:
    """A PyTorch name minigrad does not have (``torch.utils.hooks.BackwardHook``): a NotImplementedError naming it."""
    raise missing_attribute("minigrad.utils.hooks", name)
