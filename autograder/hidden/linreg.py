"""Hidden tests for assignment 01 (linear regression, autograd, minibatch SGD)."""

import numpy as np
import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.catalog import load_assignment
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import floats, shapes, tensors
from solutions import linreg as solution

SEEDS = st.integers(0, 2**31 - 1)
PUBLIC = load_assignment("01")


def public(function: str, check: str):
    return next(c for c in PUBLIC.function(function).checks if c.name.startswith(check))


@st.composite
def high_degree(draw, dtype):
    """Degree up to 7 at points up to 3 in size: terms up to 7 * 3 * 3**6."""
    coeffs = draw(tensors((draw(st.integers(1, 8)),), dtype, -3, 3))
    return Call((coeffs, draw(tensors(shapes(0, 3, 1, 5), dtype, -3, 3))))


@st.composite
def degenerate_sizes(draw, dtype):
    """synthetic_data with 0 or 1 examples, or a single feature."""
    w = draw(tensors((draw(st.integers(1, 6)),), dtype, -5, 5))
    n = draw(st.sampled_from([0, 1, 2]))
    return Call((w, draw(floats(torch.float64, -5, 5)), n), {"noise": draw(st.sampled_from([0.0, 0.01]))}, seed=draw(SEEDS))


@st.composite
def edge_batches(draw, dtype):
    """data_iter with one example, batch_size equal to n or larger, exact multiples, or batch_size 1."""
    n = draw(st.sampled_from([1, 2, 12, 24, 30]))
    batch_size = draw(st.sampled_from([1, n, n + 5, max(1, n // 2), max(1, n // 3), max(1, n // 4)]))
    d = draw(st.integers(1, 3))
    features = torch.cat([torch.arange(n, dtype=dtype).reshape(n, 1), draw(tensors((n, d - 1), dtype, -5, 5))], dim=1)
    labels = draw(tensors((n,) if draw(st.booleans()) else (n, 1), dtype, -5, 5))
    return Call((batch_size, features, labels), seed=draw(SEEDS))


@st.composite
def wide_linear_models(draw, dtype):
    n, d = draw(st.integers(1, 40)), draw(st.integers(1, 16))
    return Call((draw(tensors((n, d), dtype, -100, 100)), draw(tensors((d, 1), dtype, -10, 10)), draw(tensors((1,), dtype, -100, 100))))


@st.composite
def large_residuals(draw, dtype):
    n = draw(st.integers(1, 50))
    flat = draw(st.booleans())
    return Call((draw(tensors((n, 1), dtype, -1e3, 1e3)), draw(tensors((n,) if flat else (n, 1), dtype, -1e3, 1e3))))


@st.composite
def many_parameters(draw, dtype):
    shape_list = draw(st.lists(shapes(0, 3, 1, 5), min_size=1, max_size=6))
    params = [draw(tensors(s, dtype, -100, 100)) for s in shape_list]
    grads = [draw(tensors(s, dtype, -100, 100)) for s in shape_list]
    return Call((params, grads, draw(st.sampled_from([0.0, 1e-3, 0.5, 3.0])), draw(st.sampled_from([1, 7, 128]))))


@st.composite
def wider_problems(draw, dtype):
    """train with 5 or 6 features, a batch size that leaves a partial last batch, and flat y (n,)."""
    rng = np.random.default_rng(draw(SEEDS))
    n, d = draw(st.integers(150, 250)), draw(st.integers(5, 6))
    batch_size = draw(st.sampled_from([7, 13, 17]))
    if n % batch_size == 0:
        n += 1
    X = torch.from_numpy(rng.standard_normal((n, d))).to(dtype)
    w = torch.from_numpy(rng.uniform(1, 4, (d, 1)) * rng.choice([-1, 1], (d, 1))).to(dtype)
    b = float(rng.uniform(1, 4) * rng.choice([-1, 1]))
    y = (X @ w + b + 0.01 * torch.from_numpy(rng.standard_normal((n, 1))).to(dtype)).reshape(-1)
    lr = 0.05
    epochs = int(np.ceil(12 / (lr * np.ceil(n / batch_size))))
    return Call((X, y), {"lr": lr, "epochs": epochs, "batch_size": batch_size}, seed=draw(SEEDS), extra={"w": w, "b": b})


HIDDEN = {
    "poly_grad": (replace_inputs(agrees_with_solution(solution.poly_grad), high_degree, "degree up to 7"),),
    "synthetic_data": (replace_inputs(public("synthetic_data", "returns X (n, d)"), degenerate_sizes, "0, 1 or 2 examples"),),
    "data_iter": (
        replace_inputs(public("data_iter", "makes batches"), edge_batches, "edge batch sizes"),
        replace_inputs(public("data_iter", "covers every example"), edge_batches, "edge batch sizes"),
    ),
    "linreg": (replace_inputs(agrees_with_solution(solution.linreg), wide_linear_models, "wide inputs"),),
    "squared_loss": (replace_inputs(agrees_with_solution(solution.squared_loss), large_residuals, "long batches and large residuals"),),
    "sgd_step": (replace_inputs(agrees_with_solution(solution.sgd_step), many_parameters, "many parameters"),),
    "train": (replace_inputs(public("train", "recovers the true w"), wider_problems, "6 features and a partial last batch"),),
}
