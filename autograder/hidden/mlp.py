"""Hidden tests for assignment 03 (MLP, dropout, weight decay)."""

import numpy as np
import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.catalog import load_assignment
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import shapes, tensors
from solutions import mlp as solution

SEEDS = st.integers(0, 2**31 - 1)
PUBLIC_DROPOUT = {check.name: check for check in load_assignment("03").function("dropout").checks}


@st.composite
def extreme_values(draw, dtype):
    """Infinities, huge and tiny magnitudes and signed zeros."""
    values = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 1e30, -1e30, float("inf"), float("-inf")])
    return Call((draw(tensors(shapes(1, 3, 1, 6), dtype, elements=values)),))


@st.composite
def extreme_p(draw, dtype):
    """20000 nonzero elements and p close to 0 or to 1 (np >= 200, so 5 sigma stays a safe bound)."""
    rng = np.random.default_rng(draw(SEEDS))  # numpy's generator: independent of torch's mask draws
    shape = draw(st.sampled_from([(20000,), (100, 200)]))
    magnitude = torch.from_numpy(rng.uniform(1.0, 10.0, shape))
    sign = torch.from_numpy(rng.integers(0, 2, shape)) * 2 - 1
    p = draw(st.floats(0.01, 0.05) | st.floats(0.95, 0.99))
    return Call(((magnitude * sign).to(dtype), p), {"training": True}, seed=draw(SEEDS))


@st.composite
def long_lists(draw, dtype):
    params = draw(st.lists(tensors(shapes(0, 3, 1, 6), dtype, -1e3, 1e3), min_size=1, max_size=8))
    return Call((params,))


@st.composite
def deep_wide_nets(draw, dtype):
    layers = draw(st.integers(1, 5))
    dims = [draw(st.integers(1, 12)) for _ in range(layers + 1)]
    X = draw(tensors((draw(st.integers(1, 16)), dims[0]), dtype, -3, 3))
    params = [(draw(tensors((dims[i], dims[i + 1]), dtype, -1, 1)), draw(tensors((dims[i + 1],), dtype, -1, 1))) for i in range(layers)]
    training = draw(st.booleans())
    p = draw(st.sampled_from([0.0, 1.0])) if training else draw(st.floats(0.0, 1.0))
    return Call((X, params), {"dropout_p": p, "training": training})


HIDDEN = {
    "relu": (replace_inputs(agrees_with_solution(solution.relu), extreme_values, "infinities and signed zeros"),),
    "dropout": (
        replace_inputs(PUBLIC_DROPOUT["zeroes a fraction p of the elements"], extreme_p, "p near 0 and 1"),
        replace_inputs(PUBLIC_DROPOUT["scales the survivors by 1/(1-p)"], extreme_p, "p near 0 and 1"),
    ),
    "l2_penalty": (replace_inputs(agrees_with_solution(solution.l2_penalty), long_lists, "long lists of large weights"),),
    "mlp_forward": (replace_inputs(agrees_with_solution(solution.mlp_forward), deep_wide_nets, "deep and wide nets"),),
}
