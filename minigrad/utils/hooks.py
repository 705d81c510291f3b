"""``torch.utils.hooks``: the handle that ``register_hook`` and the module hooks return.

>>> import minigrad
>>> x = minigrad.ones(2, requires_grad=True)
>>> handle = x.register_hook(lambda grad: grad * 2)
>>> isinstance(handle, RemovableHandle)
True
>>> handle.remove()
"""

from minigrad.autograd import RemovableHandle

__all__ = ["RemovableHandle"]
