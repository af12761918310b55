"""Hidden tests for assignment 18 (capstone 2: a tiny Transformer that reverses digit strings)."""

import numpy as np
import torch
from hypothesis import strategies as st

from datasets import reversal_pairs
from kit.calls import Call
from kit.catalog import load_assignment
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import capstone2 as solution

SEEDS = st.integers(0, 2**31 - 1)
PUBLIC = load_assignment("18")
SHAPES = solution.PARAM_SHAPES
PAD, VOCAB = solution.PAD, solution.VOCAB_SIZE


def public(function: str, check: str):
    return next(c for c in PUBLIC.function(function).checks if c.name.startswith(check))


def wide_params(rng: np.random.Generator, dtype: torch.dtype, eos_bias: float = 0.0) -> dict[str, torch.Tensor]:
    """Weights up to 3/sqrt(fan_in), layer norms with negative scales, large biases: every part of the network counts."""
    params = {}
    for name, shape in SHAPES.items():
        if len(shape) == 2:
            values = rng.standard_normal(shape) * rng.uniform(0.5, 3.0) / np.sqrt(shape[1])
        elif ".norm" in name and name.endswith("weight"):
            values = rng.uniform(-2.0, 2.0, shape)
        else:
            values = rng.normal(0.0, 1.0, shape)
        params[name] = torch.from_numpy(np.asarray(values)).to(dtype)
    params["output.bias"][solution.EOS] += eos_bias
    return params


def holey_sources(rng: np.random.Generator, n: int, length: int) -> torch.Tensor:
    """(n, length) tokens with PAD anywhere (not only at the end) and at least one real token per row."""
    tokens = rng.integers(1, VOCAB, (n, length))
    tokens[rng.uniform(size=(n, length)) < 0.4] = PAD
    tokens[np.arange(n), rng.integers(0, length, n)] = rng.integers(1, VOCAB, n)
    return torch.from_numpy(tokens)


@st.composite
def long_holey_sequences(draw, dtype):
    """forward on up to 8 pairs of up to 16 tokens: padding in the middle of sources, PAD inside dec_in, wide weights."""
    rng = np.random.default_rng(draw(SEEDS))
    N, S, T = draw(st.integers(1, 8)), draw(st.integers(1, 16)), draw(st.integers(1, 16))
    dec_in = torch.from_numpy(rng.integers(0, VOCAB, (N, T)))
    return Call((holey_sources(rng, N, S), dec_in, wide_params(rng, dtype)))


@st.composite
def early_ends(draw, dtype):
    """greedy_decode where EOS is likely at every step (rows end early, some at once), up to 12 steps."""
    rng = np.random.default_rng(draw(SEEDS))
    N, S = draw(st.integers(1, 12)), draw(st.integers(1, 10))
    params = wide_params(rng, dtype, draw(st.sampled_from([1.0, 2.5, 4.0])))
    return Call((holey_sources(rng, N, S), params), {"max_len": draw(st.integers(1, 12))})


@st.composite
def edge_seeds(draw, dtype):
    return Call((draw(st.sampled_from([0, 1, 2**31 - 2, 123456789])),), seed=draw(SEEDS))


@st.composite
def padded_or_tiny_sets(draw, dtype):
    """train for 2 steps on 1, 5 or 65 pairs of 3 to 6 digits (padded after EOS)."""
    src, tgt = reversal_pairs(draw(st.sampled_from([1, 5, 65])), draw(st.integers(0, 10_000)), min_digits=3, max_digits=6)
    return Call((draw(st.integers(0, 2**31 - 1)),), {"src": src, "tgt": tgt, "steps": 2}, seed=draw(SEEDS))


HIDDEN = {
    "init_params": (replace_inputs(public("init_params", "returns every parameter"), edge_seeds, "edge seeds"),),
    "forward": (replace_inputs(agrees_with_solution(solution.forward), long_holey_sequences, "long sequences with padding anywhere"),),
    "greedy_decode": (replace_inputs(agrees_with_solution(solution.greedy_decode), early_ends, "rows that end early"),),
    "train": (replace_inputs(public("train", "returns every parameter"), padded_or_tiny_sets, "1 to 65 padded strings of 3 to 6 digits"),),
}
