"""Random numbers: one seedable numpy generator behind every random op. Below Tensor; numpy only.

``manual_seed`` seeds the default generator, which ``randn``, ``rand``, layer initialisation,
dropout and the ``DataLoader``'s shuffling draw from; a ``Generator`` of your own (PyTorch's
``torch.Generator``) can be passed to them as ``generator=`` instead.

>>> g = Generator().manual_seed(0)
>>> g.initial_seed()
0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.devices import check_device


class Generator:
    """PyTorch's ``torch.Generator``, on numpy's: ``Generator().manual_seed(42)``."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device)
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the sequence from ``seed``; returns the generator (as PyTorch does)."""
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Restart from a fresh, unpredictable seed, and return it."""
        self.manual_seed(int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> Generator:
        self.rng.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator, initial seed {self._seed}>"


default = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed minigrad's random numbers (``randn``, ``rand``, layer initialisation, dropout,
    shuffling); returns the default generator, as PyTorch's does.

    >>> from minigrad import randn
    >>> _ = manual_seed(0); a = randn(2); _ = manual_seed(0); bool((a == randn(2)).all())
    True
    """
    return default.manual_seed(seed)


def initial_seed() -> int:
    return default.initial_seed()


def seed() -> int:
    """Seed the default generator unpredictably; returns the seed."""
    return default.seed()


def default_generator() -> np.random.Generator:
    """The numpy generator that ``manual_seed`` seeds."""
    return default.rng


def child_generator(seed: int | None = None) -> np.random.Generator:
    """A numpy generator of its own: seeded with ``seed``, or else with one draw from minigrad's
    generator, so that ``manual_seed`` makes it reproducible (the DataLoader's, a random
    transform's)."""
    return np.random.default_rng(seed if seed is not None else int(default.rng.integers(2**63)))


def generator_of(generator: Any) -> np.random.Generator:
    """The numpy generator to draw from: the default one for None, a ``Generator``'s own, or a
    ``numpy.random.Generator`` as it is."""
    if generator is None:
        return default.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a minigrad.Generator or a numpy Generator, got {type(generator).__name__}")
