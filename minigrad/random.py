"""The default random generator: what minigrad draws from when no `rng`/`seed` is given.

Layer initialisation (`nn.Linear`, `nn.init`), `mg.randn`/`mg.rand`, dropout masks
and the seed of a `DataLoader` all accept an explicit `rng` (a `np.random.Generator`
or an int seed). Given none, they draw from this one generator, and `mg.manual_seed(s)`
reseeds it: one call at the top of a script makes the whole run repeat exactly, as
`torch.manual_seed` does. NumPy's global `np.random.seed` does not reach it (minigrad
never uses the global `np.random` state). Without `manual_seed` the generator starts from
fresh OS entropy, so unseeded runs differ.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["default_generator", "generator", "manual_seed"]

_DEFAULT = np.random.Generator(np.random.PCG64())


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator with a non-negative int; returns that generator.

    It is reseeded in place, so everything that draws from it (including modules built
    before the call, such as `nn.Dropout`) follows the new seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    _DEFAULT.bit_generator.state = np.random.PCG64(int(seed)).state
    return _DEFAULT


def default_generator() -> np.random.Generator:
    """The generator used when no `rng` is given (the one `manual_seed` reseeds)."""
    return _DEFAULT


def generator(rng: Any = None) -> np.random.Generator:
    """`rng` as a `np.random.Generator`: a Generator as it is, an int seed (or
    `SeedSequence`) as a new generator, None as the default generator."""
    if rng is None:
        return _DEFAULT
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)
