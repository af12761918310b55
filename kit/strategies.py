"""Small composable hypothesis strategies for tensors and the arguments built from them.

Tensors are drawn through numpy so that hypothesis can shrink them value by value: a failing
input shrinks towards small shapes and round numbers, which is what students read.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (torch.float32, torch.float64)


def _numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty((), dtype=dtype).numpy().dtype


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 5) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def floats(dtype: torch.dtype, low: float = -10.0, high: float = 10.0) -> st.SearchStrategy[float]:
    width = 32 if dtype == torch.float32 else 64
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
    dtype: torch.dtype = torch.float32,
    low: float = -10.0,
    high: float = 10.0,
    elements: st.SearchStrategy | None = None,
) -> torch.Tensor:
    """A CPU tensor of `dtype` with values in [low, high] (or drawn from `elements`)."""
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    if elements is None:
        elements = floats(dtype, low, high) if dtype.is_floating_point else st.integers(int(low), int(high))
    array = draw(hnp.arrays(_numpy_dtype(dtype), shape, elements=elements))
    return torch.from_numpy(np.ascontiguousarray(array)).clone()


def class_targets(n: int, num_classes: int) -> st.SearchStrategy[torch.Tensor]:
    """(n,) int64 class indices in [0, num_classes)."""
    return tensors((n,), torch.int64, 0, num_classes - 1)


def dims_of(ndim: int) -> st.SearchStrategy[int]:
    """A valid `dim` argument for a tensor of `ndim` dimensions, negative ones included."""
    return st.integers(-ndim, ndim - 1)
