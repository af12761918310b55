"""Hidden tests for assignment 05 (normalisation)."""

from dataclasses import replace

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import Check, replace_inputs
from kit.strategies import tensors
from solutions import norm as solution

FLOAT64 = (torch.float64,)


@st.composite
def nearly_constant_channels(draw, dtype):
    """Channels whose values are all equal or differ by 1e-3: eps matters, nothing may be nan."""
    training = draw(st.booleans())
    spatial = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    n, c = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    base = draw(tensors((1, c, *[1] * len(spatial)), dtype, -5, 5))
    bumps = draw(tensors((n, c, *spatial), dtype, elements=st.sampled_from([0.0, 0.0, 0.0, 1e-3])))
    gamma, beta = draw(tensors((c,), dtype, -2, 2)), draw(tensors((c,), dtype, -2, 2))
    running_mean, running_var = draw(tensors((c,), dtype, -2, 2)), draw(tensors((c,), dtype, 0.0, 1e-3))
    eps = draw(st.sampled_from([1e-5, 1e-3]))
    return Call((base + bumps, gamma, beta, running_mean, running_var, training), {"momentum": draw(st.floats(0, 1)), "eps": eps})


@st.composite
def large_batches(draw, dtype):
    """Up to 16 samples of up to 6 x 6 positions, training and eval, any momentum."""
    training = draw(st.booleans())
    spatial = [draw(st.integers(1, 6)) for _ in range(draw(st.integers(0, 2)))]
    n, c = draw(st.integers(2, 16)), draw(st.integers(1, 6))
    X = draw(tensors((n, c, *spatial), dtype, -100, 100))
    gamma, beta = draw(tensors((c,), dtype, -3, 3)), draw(tensors((c,), dtype, -3, 3))
    running_mean, running_var = draw(tensors((c,), dtype, -50, 50)), draw(tensors((c,), dtype, 0.5, 1000))
    return Call((X, gamma, beta, running_mean, running_var, training), {"momentum": draw(st.floats(0, 1))})


@st.composite
def nearly_constant_slices(draw, dtype):
    shape = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 4)))]
    k = draw(st.integers(1, len(shape)))
    normalized = tuple(shape[-k:])
    base = draw(tensors((*shape[:-k], *[1] * k), dtype, -5, 5))
    bumps = draw(tensors(tuple(shape), dtype, elements=st.sampled_from([0.0, 0.0, 0.0, 1e-3])))
    kwargs = {"eps": draw(st.sampled_from([1e-5, 1e-3]))}
    if draw(st.booleans()):
        kwargs["weight"] = draw(tensors(normalized, dtype, -2, 2))
        kwargs["bias"] = draw(tensors(normalized, dtype, -2, 2))
    return Call((base + bumps, list(normalized)), kwargs)


@st.composite
def wide_slices(draw, dtype):
    """Transformer-like shapes: (batch, sequence, features) normalised over the last 1 or 2 dims."""
    b, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 8)), draw(st.integers(2, 32))
    X = draw(tensors((b, s, d), dtype, -100, 100))
    normalized = (d,) if draw(st.booleans()) else (s, d)
    return Call((X, normalized), {"weight": draw(tensors(normalized, dtype, -3, 3)), "bias": draw(tensors(normalized, dtype, -3, 3))})


def float64_only(check: Check) -> Check:
    """float32 rounding on near-constant data would blur what these inputs are meant to show."""
    return replace(check, dtypes=FLOAT64)


HIDDEN = {
    "batch_norm": (
        float64_only(replace_inputs(agrees_with_solution(solution.batch_norm), nearly_constant_channels, "nearly constant channels")),
        float64_only(replace_inputs(agrees_with_solution(solution.batch_norm), large_batches, "large batches")),
    ),
    "layer_norm": (
        float64_only(replace_inputs(agrees_with_solution(solution.layer_norm), nearly_constant_slices, "nearly constant slices")),
        float64_only(replace_inputs(agrees_with_solution(solution.layer_norm), wide_slices, "wide slices")),
    ),
}
