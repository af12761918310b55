"""Public tests for assignment 10 (capstone: a small CNN on the 8x8 digits).

Each graded function is described once below: how its inputs are drawn, what it must agree
with, and the properties it must have. The accuracy test trains your network once on the
1437 training digits and evaluates the parameters it returns with a reference network (built
from PyTorch's own layers) on the 360 held-out test digits. Run: pytest assignments/10
"""

import atexit
import dataclasses
import math
import os
import struct
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from datasets import digits_tensors
from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import seeded

SEEDS = st.integers(0, 2**31 - 1)
EPOCHS = 10  # train(X_train, y_train, epochs=EPOCHS, seed)
REQUIRED_ACCURACY = 0.95  # on the 360 test digits
PARAM_SHAPES = {
    "conv1.weight": (16, 1, 3, 3),
    "bn1.weight": (16,),
    "bn1.bias": (16,),
    "bn1.running_mean": (16,),
    "bn1.running_var": (16,),
    "conv2.weight": (32, 16, 3, 3),
    "bn2.weight": (32,),
    "bn2.bias": (32,),
    "bn2.running_mean": (32,),
    "bn2.running_var": (32,),
    "fc.weight": (10, 128),
    "fc.bias": (10,),
}
# plot_history writes here (the top of the temporary folder exists in the grader's sandbox too)
PLOT_PATH = os.path.join(tempfile.gettempdir(), f"kit-training-curve-{os.getpid()}.png")
atexit.register(lambda: Path(PLOT_PATH).unlink(missing_ok=True))
RUNNING_STATS = ("bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var")
WEIGHTS = ("conv1.weight", "conv2.weight", "fc.weight")

# ---------------------------------------------------------------- the reference network


def reference_forward(X, params, training=False, dropout_p=0.25):
    """The architecture with PyTorch's layers; batch norm updates copies of the running statistics."""
    p = params
    stats = {name: p[name].clone() for name in RUNNING_STATS}
    h = F.conv2d(X, p["conv1.weight"], padding=1)
    h = F.batch_norm(h, stats["bn1.running_mean"], stats["bn1.running_var"], p["bn1.weight"], p["bn1.bias"], training, 0.1, 1e-5)
    h = F.max_pool2d(F.relu(h), 2)
    h = F.conv2d(h, p["conv2.weight"], padding=1)
    h = F.batch_norm(h, stats["bn2.running_mean"], stats["bn2.running_var"], p["bn2.weight"], p["bn2.bias"], training, 0.1, 1e-5)
    h = F.max_pool2d(F.relu(h), 2).flatten(1)
    h = F.dropout(h, dropout_p, training)
    return F.linear(h, p["fc.weight"], p["fc.bias"]), stats


@lru_cache(maxsize=2)
def digits(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    return digits_tensors(split)


def held_out_accuracy(params: dict) -> float:
    X, y = digits("test")
    params = {k: v.to(torch.float32) for k, v in params.items()}
    with torch.no_grad():
        logits, _ = reference_forward(X, params, training=False)
    return (logits.argmax(dim=1) == y).double().mean().item()


# ---------------------------------------------------------------- inputs


def random_params(rng: np.random.Generator, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Parameters of every shape, with non-trivial batch-norm affine maps and running statistics."""
    params = {}
    for name, shape in PARAM_SHAPES.items():
        if name in WEIGHTS:
            values = rng.standard_normal(shape) / math.sqrt(math.prod(shape[1:]))
        elif name.endswith("running_var"):
            values = rng.uniform(0.5, 2.0, shape)
        elif name.endswith(".weight"):
            values = rng.uniform(0.5, 1.5, shape)
        else:
            values = rng.normal(0.0, 0.5, shape)
        params[name] = torch.from_numpy(np.asarray(values)).to(dtype)
    return params


@st.composite
def forward_calls(draw, dtype, mode=None):
    """forward(X (N, 1, 8, 8), params[, training][, dropout_p]) with deterministic settings:
    evaluation mode (any dropout_p) or training with dropout_p = 0."""
    rng = np.random.default_rng(draw(SEEDS))
    X = torch.from_numpy(rng.uniform(0.0, 1.0, (draw(st.integers(1, 6)), 1, 8, 8))).to(dtype)
    params = random_params(rng, dtype)
    mode = mode or draw(st.sampled_from(["defaults", "eval", "train"]))
    if mode == "defaults":
        return Call((X, params), seed=draw(SEEDS))
    if mode == "eval":
        p = draw(st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]))
        return Call((X, params), {"training": False} | ({} if p is None else {"dropout_p": p}), seed=draw(SEEDS))
    return Call((X, params), {"training": True, "dropout_p": 0.0}, seed=draw(SEEDS))


def eval_calls(dtype):
    return forward_calls(dtype, mode="eval")


def training_calls(dtype):
    return forward_calls(dtype, mode="train")


@st.composite
def dropout_calls(draw, dtype):
    """forward with dropout_p = 0.5, in training or evaluation mode."""
    call = draw(forward_calls(dtype, mode="train"))
    return Call(call.args, {"training": draw(st.booleans()), "dropout_p": 0.5}, seed=call.seed)


@st.composite
def seeds(draw, dtype):
    return Call((draw(st.integers(0, 2**31 - 2)),), seed=draw(SEEDS))


@st.composite
def digit_subsets(draw, dtype, size=32, epochs=(1, 2)):
    """train on `size` training digits (a drawn subset) for a few epochs: cheap."""
    X, y = digits("train")
    index = torch.from_numpy(np.random.default_rng(draw(SEEDS)).permutation(len(X))[:size])
    return Call((X[index].to(dtype), y[index]), {"epochs": draw(st.sampled_from(epochs)), "seed": draw(st.integers(0, 2**31 - 1))}, seed=draw(SEEDS))


def short_runs(dtype):
    """256 digits for 3 epochs: long enough for the training loss to fall."""
    return digit_subsets(dtype, size=256, epochs=(3,))


@st.composite
def full_training(draw, dtype):
    X, y = digits("train")
    return Call((X.to(dtype), y), {"epochs": EPOCHS, "seed": draw(st.integers(0, 2**31 - 1))}, seed=draw(SEEDS))


@st.composite
def histories(draw, dtype):
    """plot_history({"loss": [...], "accuracy": [...][, "test_accuracy": [...]]}, path)."""
    epochs = draw(st.integers(1, 15))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    history = {
        "loss": draw(st.lists(st.floats(0.0, 5.0, allow_nan=False), min_size=epochs, max_size=epochs)),
        "accuracy": draw(st.lists(unit, min_size=epochs, max_size=epochs)),
    }
    if draw(st.booleans()):
        history["test_accuracy"] = draw(st.lists(unit, min_size=epochs, max_size=epochs))
    return Call((history, PLOT_PATH), seed=draw(SEEDS), read_back=PLOT_PATH)


# ---------------------------------------------------------------- helpers


def assert_layout(out, shape, dtype, what: str = "output") -> None:
    if type(out) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    if out.dtype != dtype:
        raise AssertionError(f"{what}: expected dtype {dtype}, got {out.dtype}")


def assert_params(params, dtype: torch.dtype, what: str = "params") -> None:
    if not isinstance(params, dict) or set(params) != set(PARAM_SHAPES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise AssertionError(f"{what}: expected a dict with the keys of PARAM_SHAPES {sorted(PARAM_SHAPES)}, got {got}")
    for name, shape in PARAM_SHAPES.items():
        assert_layout(params[name], shape, dtype, f"{what}[{name!r}]")
        if not torch.isfinite(params[name]).all():
            raise AssertionError(f"{what}[{name!r}] holds nan or inf")


def forward_result(out, X: torch.Tensor) -> tuple[torch.Tensor, dict]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise AssertionError(f"expected (logits, running statistics), got {type(out).__name__}")
    logits, stats = out
    assert_layout(logits, (X.shape[0], 10), X.dtype, "logits")
    if not isinstance(stats, dict) or set(stats) != set(RUNNING_STATS):
        got = sorted(stats) if isinstance(stats, dict) else type(stats).__name__
        raise AssertionError(f"the running statistics: expected a dict with keys {sorted(RUNNING_STATS)}, got {got}")
    for name in RUNNING_STATS:
        assert_layout(stats[name], PARAM_SHAPES[name], X.dtype, f"running statistics[{name!r}]")
    return logits, stats


def train_result(out, epochs: int) -> tuple[dict, dict]:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise AssertionError(f"expected (params, history), got {type(out).__name__}")
    params, history = out
    if not isinstance(history, dict) or not {"loss", "accuracy"} <= set(history):
        raise AssertionError('history: expected a dict with lists "loss" and "accuracy"')
    for key in ("loss", "accuracy"):
        values = history[key]
        if not isinstance(values, list) or len(values) != epochs:
            raise AssertionError(f"history[{key!r}]: expected a list of {epochs} values (one per epoch), got {values!r:.80}")
        if not all(type(v) in (float, int) and math.isfinite(v) for v in values):
            raise AssertionError(f"history[{key!r}]: expected finite Python floats (use .item()), got {values!r:.80}")
    if not all(0 <= a <= 1 for a in history["accuracy"]) or not all(v >= 0 for v in history["loss"]):
        raise AssertionError("history: accuracies must lie in [0, 1] (fractions) and losses be >= 0")
    return params, history


# ---------------------------------------------------------------- init_params


def has_every_parameter(t: Trial) -> None:
    assert_params(t.output, torch.float32)


def batch_norm_starts_neutral(t: Trial) -> None:
    params = t.output
    assert_params(params, torch.float32)
    expected = {"bn1.weight": 1, "bn2.weight": 1, "bn1.running_var": 1, "bn2.running_var": 1,
                "bn1.bias": 0, "bn2.bias": 0, "bn1.running_mean": 0, "bn2.running_mean": 0, "fc.bias": 0}
    for name, value in expected.items():
        if not torch.equal(params[name], torch.full_like(params[name], value)):
            raise AssertionError(f"{name} must start at {value} everywhere, got {params[name][:4].tolist()}...")


def weights_scaled_to_fan_in(t: Trial) -> None:
    params = t.output
    assert_params(params, torch.float32)
    for name in WEIGHTS:
        fan_in = math.prod(PARAM_SHAPES[name][1:])
        ratio = params[name].double().std().item() * math.sqrt(fan_in)
        if not 0.25 <= ratio <= 3.0:
            raise AssertionError(
                f"{name} has standard deviation {ratio:.3g}/sqrt(fan_in) (fan_in = {fan_in}); use random values with "
                "a standard deviation between 0.25 and 3 times 1/sqrt(fan_in)"
            )


def depends_on_seed_only(t: Trial) -> None:
    (seed,) = t.call.args
    first = t.output
    assert_params(first, torch.float32)
    again = t.run(dataclasses.replace(t.call, seed=t.call.seed + 1))  # another state of torch's global generator
    if any(not torch.equal(first[k], again[k]) for k in WEIGHTS):
        raise AssertionError("init_params(seed) changed with torch's global generator: draw from torch.Generator().manual_seed(seed)")
    other = t.run(t.call.replace(seed + 1))
    if all(torch.equal(first[k], other[k]) for k in WEIGHTS):
        raise AssertionError("init_params gave the same weights for two different seeds")


# ---------------------------------------------------------------- forward


def returns_logits_and_stats(t: Trial) -> None:
    forward_result(t.output, t.call.args[0])


def evaluation_uses_running_stats(t: Trial) -> None:
    X, params = t.call.args
    logits, stats = forward_result(t.output, X)
    for name in RUNNING_STATS:
        t.assert_close(stats[name], params[name], f"running statistics[{name!r}] returned in evaluation mode (must be unchanged)", scale=0)
    first, _ = forward_result(t.run(t.call.replace(X[:1], params)), X[:1])
    t.assert_close(first, logits[:1], "logits of X[:1] alone compared with the first row of the batch's logits (evaluation mode)", scale=10)


def training_updates_stats(t: Trial) -> None:
    X, _ = t.call.args
    _, stats = forward_result(t.output, X)
    _, expected = t.expected(reference_forward)
    for name in RUNNING_STATS:
        t.assert_close(stats[name], expected[name], f"updated {name} (momentum 0.1, unbiased variance)", scale=10)


def dropout_only_in_training(t: Trial) -> None:
    X, params = t.call.args
    logits, stats = forward_result(t.output, X)
    without, stats_without = forward_result(t.run(t.call.replace(dropout_p=0.0)), X)
    for name in RUNNING_STATS:
        t.assert_close(stats[name], stats_without[name], f"{name} with dropout_p=0.5 compared with dropout_p=0 (dropout comes after batch norm)", scale=10)
    if t.call.kwargs["training"]:
        if torch.allclose(logits, without):
            raise AssertionError("in training mode, dropout_p=0.5 gave the same logits as dropout_p=0: apply dropout before fc")
    else:
        t.assert_close(logits, without, "logits in evaluation mode with dropout_p=0.5 compared with dropout_p=0 (dropout must be off)")


# ---------------------------------------------------------------- train


def returns_params_and_history(t: Trial) -> None:
    X = t.call.args[0]
    params, _ = train_result(t.output, t.call.kwargs["epochs"])
    assert_params(params, X.dtype)


def training_loss_falls(t: Trial) -> None:
    _, history = train_result(t.output, t.call.kwargs["epochs"])
    loss = history["loss"]
    if not loss[-1] < loss[0]:
        raise AssertionError(f"the training loss did not fall over {len(loss)} epochs on 256 digits: {[round(v, 4) for v in loss]}")


def reaches_required_accuracy(t: Trial) -> None:
    params, history = train_result(t.output, EPOCHS)
    assert_params(params, t.call.args[0].dtype)
    accuracy = held_out_accuracy(params)
    if not accuracy >= REQUIRED_ACCURACY:
        raise AssertionError(
            f"held-out accuracy {accuracy:.2%} on the 360 test digits after {EPOCHS} epochs (final training loss "
            f"{history['loss'][-1]:.3g}, training accuracy {history['accuracy'][-1]:.2%}); at least {REQUIRED_ACCURACY:.0%} is required"
        )


# ---------------------------------------------------------------- plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_of(t: Trial, out=None) -> bytes:
    out = t.output if out is None else out
    if type(out) is not torch.Tensor or out.dtype != torch.uint8 or out.ndim != 1:
        got = f"a tensor of dtype {out.dtype} and shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(f"expected the PNG file's bytes as a 1-D torch.uint8 tensor, got {got}")
    return out.numpy().tobytes()


def cleaned_up(verify):
    """Run `verify`, then remove the PNG it made on this machine (if it is here at all)."""

    def run(t: Trial) -> None:
        try:
            verify(t)
        finally:
            Path(t.call.args[1]).unlink(missing_ok=True)

    return run


def is_a_plausible_png(t: Trial) -> None:
    data = png_of(t)
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise AssertionError(f"not a PNG file (it starts with {data[:8]!r}): save with format='png'")
    width, height = struct.unpack(">II", data[16:24])
    if not (200 <= width <= 4000 and 150 <= height <= 4000):
        raise AssertionError(f"the image is {width}x{height} pixels; make it between 200x150 and 4000x4000")
    if not 2_000 <= len(data) <= 5_000_000 or not data.endswith(b"IEND\xaeB`\x82"):
        raise AssertionError(f"a PNG of {len(data)} bytes (or cut short): expected a complete file of 2 kB to 5 MB")


def saved_at_path(t: Trial) -> None:
    outcome = t.outcome()  # its `file`: the bytes at path after the call, read where the call ran
    data = png_of(t, outcome.output)
    path = t.call.args[1]
    if outcome.file is None:
        raise AssertionError(f"no file at {path}: save the figure with fig.savefig(path)")
    if outcome.file != data:
        raise AssertionError(f"the bytes returned differ from the file at {path}: return the file's own bytes")


def draws_the_history(t: Trial) -> None:
    history, path = t.call.args
    original = png_of(t)
    for key, (high, low) in (("loss", (3.0, 1.0)), ("accuracy", (0.9, 0.1))):
        zigzag = [high if i % 2 == 0 else low for i in range(len(history[key]))]
        changed = {**history, key: zigzag if history[key] != zigzag else [0.5] * len(zigzag)}
        if png_of(t, t.run(t.call.replace(changed, path))) == original:
            raise AssertionError(f"changing history[{key!r}] did not change the image: plot the values you are given")


# ---------------------------------------------------------------- large inputs (the efficiency check)


@seeded
def large_forward(g, dtype):
    """forward(X (512, 1, 8, 8), params, training=...) in evaluation mode or training without dropout:
    the whole network runs once on the batch; a Python loop over the 512 images runs it 512 times."""
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, (), generator=g)))
    X = torch.from_numpy(rng.uniform(0.0, 1.0, (512, 1, 8, 8))).to(dtype)
    training = bool(rng.integers(2))
    return Call((X, random_params(rng, dtype)), {"training": training, "dropout_p": 0.0 if training else 0.5})


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="10",
    module="capstone",
    title="capstone: a small CNN on the 8x8 digits",
    functions=(
        Function(
            "init_params",
            seeds,
            points=1,
            checks=(
                Check("returns every parameter of PARAM_SHAPES in float32", has_every_parameter, hint="one tensor per name of PARAM_SHAPES, of that shape", gated=True),
                Check(
                    "starts batch norm at weight 1, bias 0, running mean 0, variance 1 (and fc.bias at 0)",
                    batch_norm_starts_neutral,
                    examples=3,
                ),
                Check(
                    "draws weights with a standard deviation of about 1/sqrt(fan_in)",
                    weights_scaled_to_fan_in,
                    examples=5,
                    hint="torch.randn(shape, generator=g) * math.sqrt(2 / fan_in): all zeros never learn, N(0, 1) explodes",
                ),
                Check(
                    "depends on its seed only",
                    depends_on_seed_only,
                    examples=5,
                    hint="g = torch.Generator().manual_seed(seed), then pass generator=g to torch.randn",
                ),
            ),
            dtypes=(torch.float32,),
            deterministic=False,
            meta=False,
        ),
        Function(
            "forward",
            forward_calls,
            points=3,
            reference=reference_forward,
            reference_name="the same network built from F.conv2d, F.batch_norm, F.max_pool2d, F.dropout and F.linear",
            efficiency=Efficiency(
                large_forward,
                factor=5,
                why="5, not 20: two convolutions on 512 images (about 10 ms) dwarf the per-image overhead, so a loop over the "
                "images costs only 10-14x (6-7x on a machine loaded twice over); honest rewrites (assignment 04's einsum per "
                "kernel offset, var_mean) stay within 3x",
            ),
            checks=(
                Check("returns logits (N, 10) and the 4 running statistics", returns_logits_and_stats, hint="return logits, {name: tensor for the 4 names of RUNNING_STATS}", gated=True),
                Check(
                    "uses (and returns unchanged) the running statistics in evaluation mode",
                    evaluation_uses_running_stats,
                    inputs=eval_calls,
                    hint="with training=False batch norm normalises with running_mean and running_var, not the batch's statistics",
                ),
                Check(
                    "updates the running statistics in training mode",
                    training_updates_stats,
                    inputs=training_calls,
                    hint="running = 0.9 * running + 0.1 * batch statistic, with the unbiased variance (n / (n - 1)) over N, H and W",
                ),
                Check(
                    "applies dropout in training mode only, after batch norm",
                    dropout_only_in_training,
                    inputs=dropout_calls,
                    examples=10,
                    hint="dropout(h, dropout_p, training) on the flattened features, just before fc",
                ),
            ),
            tolerance={torch.float32: Tolerance(1e-4, 1e-4), torch.float64: Tolerance(1e-7, 1e-7)},
        ),
        Function(
            "train",
            digit_subsets,
            points=5,
            checks=(
                Check(
                    "returns (params, history) with one loss and one accuracy per epoch",
                    returns_params_and_history,
                    examples=3,
                    hint='history = {"loss": [...], "accuracy": [...]}, one Python float per epoch (loss.item())',
                    gated=True,
                ),
                Check(
                    "lowers the training loss over 3 epochs on 256 digits",
                    training_loss_falls,
                    inputs=short_runs,
                    examples=1,
                    hint="check the sign of your update and the learning rate (Adam with lr around 0.01 works)",
                    gated=True,
                ),
                Check(
                    f"reaches {REQUIRED_ACCURACY:.0%} accuracy on the held-out digits in {EPOCHS} epochs",
                    reaches_required_accuracy,
                    inputs=full_training,
                    examples=1,
                    hint="keep the running statistics that forward returns in training mode, shuffle every epoch, "
                    "and tune the learning rate and batch size (Adam, lr 0.01, batches of 64 reach about 98%)",
                ),
            ),
            dtypes=(torch.float32,),
            deterministic=False,
            meta=False,
            max_examples=5,
        ),
        Function(
            "plot_history",
            histories,
            points=1,
            checks=(
                Check("returns the bytes of a PNG image of plausible size", cleaned_up(is_a_plausible_png), examples=2),
                Check("saves that PNG at path", cleaned_up(saved_at_path), examples=2, hint="fig.savefig(path, format='png'), then return Path(path).read_bytes() as a tensor"),
                # one example draws three figures: the history, then one with each key changed
                Check("draws the history it is given", cleaned_up(draws_the_history), examples=1, gated=True),
            ),
            dtypes=(torch.float32,),
            deterministic=False,
            meta=False,
            max_examples=3,  # each call draws a figure (about 80 ms with the reference solution)
        ),
    ),
    forbidden=(
        "torch.nn", "torch.optim", "torch.conv2d", "torch.convolution", "torch.conv_transpose2d",
        "torch.max_pool2d", "torch.avg_pool2d", "torch.adaptive_avg_pool2d", "torch.batch_norm",
        "torch.instance_norm", "torch.layer_norm", "torch.dropout", "torch.softmax", "torch.log_softmax",
        "torch.logsumexp", "torch.special.softmax", "torch.special.log_softmax", "torch.special.logsumexp",
        "torch.Tensor.softmax", "torch.Tensor.log_softmax", "torch.Tensor.logsumexp", "torch.Tensor.unfold",
        "torch.logcumsumexp", "torch.Tensor.logcumsumexp", "torch.distributions",  # softmax and logsumexp under other names
        # inside torch.nn, but named so that python -m kit.forbidden measures their kernels for the runtime check
        "torch.nn.functional.conv2d", "torch.nn.functional.batch_norm", "torch.nn.functional.max_pool2d",
        "torch.nn.functional.cross_entropy", "torch.nn.functional.log_softmax", "torch.nn.functional.softmax",
    ),
    preload=("matplotlib.figure", "matplotlib.backends.backend_agg"),  # plot_history's: once per sandbox, not per child
)

test_public = public_tests(ASSIGNMENT)
