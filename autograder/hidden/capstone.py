"""Hidden tests for assignment 10 (capstone: a small CNN on the 8x8 digits)."""

import atexit
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st

from datasets import digits_tensors
from kit.calls import Call
from kit.catalog import load_assignment
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import capstone as solution

SEEDS = st.integers(0, 2**31 - 1)
PUBLIC = load_assignment("10")
SHAPES = solution.PARAM_SHAPES
PLOT_PATH = os.path.join(tempfile.gettempdir(), f"kit-training-curve-{os.getpid()}.png")
atexit.register(lambda: Path(PLOT_PATH).unlink(missing_ok=True))


def public(function: str, check: str):
    return next(c for c in PUBLIC.function(function).checks if c.name.startswith(check))


@st.composite
def large_batches_extreme_statistics(draw, dtype):
    """forward on up to 32 images with tiny running variances, large shifts and sign-flipped scales."""
    rng = np.random.default_rng(draw(SEEDS))
    X = torch.from_numpy(rng.uniform(0.0, 1.0, (draw(st.integers(8, 32)), 1, 8, 8))).to(dtype)
    params = {}
    for name, shape in SHAPES.items():
        if name.endswith("running_var"):
            values = rng.choice([1e-3, 0.1, 10.0], shape)
        elif name.endswith("running_mean"):
            values = rng.normal(0.0, 3.0, shape)
        elif name.startswith("bn") and name.endswith("weight"):
            values = rng.uniform(-2.0, 2.0, shape)
        else:
            values = rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]) if len(shape) > 1 else 1.0)
        params[name] = torch.from_numpy(np.asarray(values)).to(dtype)
    training = draw(st.booleans())
    return Call((X, params), {"training": training, "dropout_p": 0.0 if training else 0.5}, seed=draw(SEEDS))


@st.composite
def edge_seeds(draw, dtype):
    return Call((draw(st.sampled_from([0, 1, 2**31 - 2, 123456789])),), seed=draw(SEEDS))


@st.composite
def odd_sized_training_sets(draw, dtype):
    """train on 1, 65 or 130 digits: a last batch of one, or a single example."""
    X, y = digits_tensors("train")
    size = draw(st.sampled_from([1, 65, 130]))
    index = torch.from_numpy(np.random.default_rng(draw(SEEDS)).permutation(len(X))[:size])
    return Call((X[index], y[index]), {"epochs": 2, "seed": draw(st.integers(0, 2**31 - 1))}, seed=draw(SEEDS))


@st.composite
def long_and_short_histories(draw, dtype):
    epochs = draw(st.sampled_from([1, 2, 100]))
    loss = [float(v) for v in np.random.default_rng(draw(SEEDS)).uniform(0.0, 3.0, epochs)]
    accuracy = [min(1.0, 0.01 * i) for i in range(epochs)]
    return Call(({"loss": loss, "accuracy": accuracy}, PLOT_PATH), seed=draw(SEEDS), read_back=PLOT_PATH)  # written in the sandbox's own folder


HIDDEN = {
    "init_params": (replace_inputs(public("init_params", "returns every parameter"), edge_seeds, "edge seeds"),),
    "forward": (replace_inputs(agrees_with_solution(solution.forward), large_batches_extreme_statistics, "large batches and extreme statistics"),),
    "train": (replace_inputs(public("train", "returns (params, history)"), odd_sized_training_sets, "1, 65 or 130 digits"),),
    "plot_history": (replace_inputs(public("plot_history", "returns the bytes of a PNG"), long_and_short_histories, "1 to 100 epochs"),),
}
