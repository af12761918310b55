"""Small composable hypothesis strategies for tensors and the arguments built from them.

Tensors are drawn through numpy so that hypothesis can shrink them value by value: a failing
input shrinks towards small shapes and round numbers, which is what students read.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (torch.float32, torch.float64)


def _memo(make):
    """The same strategy object for the same arguments (-0.0 and 0.0, 1 and 1.0 kept apart).

    Strategies are immutable, so sharing one draws exactly what a fresh one would; a fresh
    one costs its construction and hypothesis's validation on every draw, which was most of
    the time it took to draw small tensors.
    """
    cache: dict = {}

    @functools.wraps(make)
    def memoised(*args, **kwargs):
        try:
            key = tuple((type(a), repr(a) if isinstance(a, float) else a) for a in args) + tuple(sorted(kwargs.items()))
            strategy = cache.get(key)
        except TypeError:  # an unhashable argument (a list shape): build it each time
            return make(*args, **kwargs)
        if strategy is None:
            if len(cache) >= 4096:  # strategies made afresh for every draw would otherwise pile up
                cache.clear()
            strategy = cache[key] = make(*args, **kwargs)
        return strategy

    return memoised


@_memo
def _numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty((), dtype=dtype).numpy().dtype


@_memo
def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 5) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@_memo
def floats(dtype: torch.dtype, low: float = -10.0, high: float = 10.0) -> st.SearchStrategy[float]:
    width = 32 if dtype == torch.float32 else 64
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)


@_memo
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@_memo
def _arrays(dtype: np.dtype, shape: tuple[int, ...], elements: st.SearchStrategy) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def _tensors(draw: st.DrawFn, shape, dtype: torch.dtype, low: float, high: float, elements: st.SearchStrategy | None):
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    if elements is None:
        elements = floats(dtype, low, high) if dtype.is_floating_point else _integers(int(low), int(high))
    array = draw(_arrays(_numpy_dtype(dtype), shape, elements))
    return torch.from_numpy(np.ascontiguousarray(array)).clone()


@_memo
def _cached_tensors(shape, dtype: torch.dtype, low: float, high: float, elements: st.SearchStrategy | None):
    return _tensors(shape, dtype, low, high, elements)


def tensors(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
    dtype: torch.dtype = torch.float32,
    low: float = -10.0,
    high: float = 10.0,
    elements: st.SearchStrategy | None = None,
) -> st.SearchStrategy[torch.Tensor]:
    """A CPU tensor of `dtype` with values in [low, high] (or drawn from `elements`)."""
    return _cached_tensors(shape, dtype, low, high, elements)


def class_targets(n: int, num_classes: int) -> st.SearchStrategy[torch.Tensor]:
    """(n,) int64 class indices in [0, num_classes)."""
    return tensors((n,), torch.int64, 0, num_classes - 1)


def dims_of(ndim: int) -> st.SearchStrategy[int]:
    """A valid `dim` argument for a tensor of `ndim` dimensions, negative ones included."""
    return st.integers(-ndim, ndim - 1)


@_memo
def _seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**31 - 1)


def seeded(make):
    """Inputs (a function of the dtype) built by `make(generator, dtype) -> Call` from one drawn seed.

    For the large inputs of the efficiency check (kit.spec.Efficiency): hypothesis would take
    seconds to draw 65,536 values one by one, and there is nothing to shrink in a timing.
    """

    def inputs(dtype: torch.dtype) -> st.SearchStrategy:
        return _seeds().map(lambda seed: make(torch.Generator().manual_seed(seed), dtype))

    inputs.__name__ = getattr(make, "__name__", "seeded")
    return inputs


def randn(generator: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32, scale: float = 1.0) -> torch.Tensor:
    """Standard normal values times `scale`, drawn from `generator` (float64 first: the same values in every dtype)."""
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * scale).to(dtype)


# ---------------------------------------------------------------- draws that depend on the seed alone


@contextlib.contextmanager
def seed_alone():
    """Hypothesis draws inside depend on their seed alone, not on what this process has imported.

    Hypothesis (6.131 and later) mixes literals found in the process's own modules (those outside
    site-packages: here the kit, the assignments' tests, the solutions, a student's module in
    their pytest) into about 5% of its draws, and caches them as modules appear. The same seed
    then drew other examples in a process that had imported other assignments first: a class's
    checks graded on other inputs in one worker than in another (05's batch_mean_through_numpy
    escaped the meta check that way). Inside, only hypothesis' own constants are used.
    """
    from hypothesis.internal.conjecture import providers

    provider = providers.HypothesisProvider
    if _NO_LOCAL_CONSTANTS is None or "_local_constants" not in vars(provider) or not hasattr(providers, "CONSTANTS_CACHE"):
        yield
        return
    saved = vars(provider)["_local_constants"], providers.CONSTANTS_CACHE
    provider._local_constants, providers.CONSTANTS_CACHE = _NO_LOCAL_CONSTANTS, _CONSTANTS_WITHOUT_LOCAL
    try:
        yield
    finally:
        provider._local_constants, providers.CONSTANTS_CACHE = saved


def _empty_constants():
    try:
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # a hypothesis without local constants
        return None
    return Constants()


_NO_LOCAL_CONSTANTS = _empty_constants()
_CONSTANTS_WITHOUT_LOCAL: dict = {}  # hypothesis' own constants per kind of draw, made once: never the process's
