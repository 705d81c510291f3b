"""Test-wide settings: one hypothesis profile, so every property test is fast and reproducible."""

from hypothesis import settings

# deadline=None: a gradgradcheck example can take a while on a loaded CI machine.
# derandomize=True: the same examples on every run, so a CI failure reproduces locally.
settings.register_profile("minigrad", deadline=None, max_examples=25, derandomize=True, database=None)
settings.load_profile("minigrad")
