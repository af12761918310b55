"""Public tests for assignment 14 (modern CNN blocks).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/14

The references are small nn.Module classes built like the book's (nn.Sequential for NiN and
the transition layer, Inception, Residual, DenseBlock of conv_blocks), so that their
state_dict keys are exactly the keys of the parameter dicts: the parameters are loaded with
load_state_dict(params, strict=False) (no num_batches_tracked) and the module runs, in
float64, in .train() or .eval() on copies; its running statistics after the call are what
new_state must hold.
"""

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.harness import StudentError, Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import randn, seeded, tensors

# ---------------------------------------------------------------- parameters and images

SEEDS = st.integers(0, 2**31 - 1)
# In training every batch norm of a drawn block sees at least this many values per channel: the
# spread of so many random values is never tiny, so float32 rounding divided by the batch
# standard deviation stays far inside the tolerance.
TRAINING_VALUES = 8


def conv_params(g: torch.Generator, name: str, out_c: int, in_c: int, k: int, dtype: torch.dtype) -> dict:
    """"<name>.weight" (out_c, in_c, k, k) scaled like a trained layer (outputs of order 1), "<name>.bias" (out_c,)."""
    scale = 1.5 / math.sqrt(in_c * k * k)
    return {f"{name}.weight": randn(g, out_c, in_c, k, k, dtype=dtype, scale=scale), f"{name}.bias": randn(g, out_c, dtype=dtype, scale=0.5)}


def bn_params(g: torch.Generator, name: str, c: int, dtype: torch.dtype) -> dict:
    """"<name>.weight", ".bias", ".running_mean", ".running_var" (c,): a batch norm part-way through training."""
    return {
        f"{name}.weight": (1 + randn(g, c, dtype=torch.float64, scale=0.5)).to(dtype),
        f"{name}.bias": randn(g, c, dtype=dtype, scale=0.5),
        f"{name}.running_mean": randn(g, c, dtype=dtype, scale=0.5),
        f"{name}.running_var": (0.5 + 1.5 * torch.rand(c, generator=g, dtype=torch.float64)).to(dtype),
    }


def images(g: torch.Generator, shape: tuple[int, ...], dtype: torch.dtype, negative: bool = False) -> torch.Tensor:
    """Standard normal pixels, or all negative ones (-|z| - 0.1)."""
    X = randn(g, *shape, dtype=torch.float64)
    return (-(X.abs() + 0.1) if negative else X).to(dtype)


def generator(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(SEEDS))


def enough_for_training(n: int, positions: int) -> int:
    """The batch size n, raised so that n * positions >= TRAINING_VALUES."""
    return max(n, -(-TRAINING_VALUES // positions))


def mode_kwargs(draw, training: bool) -> dict:
    """training=True, or training=False / nothing (its default)."""
    return {"training": True} if training else ({"training": False} if draw(st.booleans()) else {})


# ---------------------------------------------------------------- inputs: global_avg_pool2d and nin_block


@st.composite
def pool_inputs(draw, dtype, square=(True, False)):
    """global_avg_pool2d(X (N, C, H, W))."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    h = draw(st.integers(1, 5))
    w = h if draw(st.sampled_from(square)) else draw(st.integers(1, 5).filter(lambda v: v != h))
    return Call((draw(tensors((n, c, h, w), dtype)),))


def non_square(dtype):
    return pool_inputs(dtype, square=(False,))


def seed_pool_examples(dtype):
    """The book's global pooling: NiN's last block (1, 10, 5, 5) and ResNet-18's (1, 512, 7, 7)."""
    g = torch.Generator().manual_seed(14)
    return st.sampled_from([Call((torch.rand(shape, generator=g, dtype=torch.float64).to(dtype),)) for shape in ((1, 10, 5, 5), (1, 512, 7, 7))])


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    return st.integers(low, high) | st.tuples(st.integers(low, high), st.integers(low, high))


def as_pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


@st.composite
def nin_inputs(draw, dtype, strides=st.integers(1, 2), paddings=st.integers(0, 1)):
    """nin_block(X (N, C, H, W), params (k x k conv C -> O, two 1 x 1 convs O -> O), stride, padding)."""
    g = generator(draw)
    n, c, o, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(strides), draw(paddings)
    ph, pw = as_pair(padding)
    h, w = max(1, k - 2 * ph) + draw(st.integers(0, 4)), max(1, k - 2 * pw) + draw(st.integers(0, 4))
    params = {**conv_params(g, "0", o, c, k, dtype), **conv_params(g, "2", o, o, 1, dtype), **conv_params(g, "4", o, o, 1, dtype)}
    return Call((images(g, (n, c, h, w), dtype), params, stride, padding))


def strided_or_padded(dtype):
    return nin_inputs(dtype, strides=int_or_pair(1, 3), paddings=int_or_pair(0, 2))


def seed_nin_examples(dtype):
    """The book's NiN: nin_block(1, 96, 11, 4, 0) on (1, 1, 224, 224) -> (1, 96, 54, 54); nin_block(384, 10, 3, 1, 1) -> (1, 10, 5, 5)."""
    g = torch.Generator().manual_seed(14)
    calls = []
    for (c, o, k, stride, padding), shape in (((1, 96, 11, 4, 0), (1, 1, 224, 224)), ((384, 10, 3, 1, 1), (1, 384, 5, 5))):
        params = {**conv_params(g, "0", o, c, k, dtype), **conv_params(g, "2", o, o, 1, dtype), **conv_params(g, "4", o, o, 1, dtype)}
        calls.append(Call((torch.rand(shape, generator=g, dtype=torch.float64).to(dtype), params, stride, padding)))
    return st.sampled_from(calls)


# ---------------------------------------------------------------- inputs: inception_block


def inception_params(g, c, c1, c2, c3, c4, dtype) -> dict:
    return {
        **conv_params(g, "p1_1", c1, c, 1, dtype),
        **conv_params(g, "p2_1", c2[0], c, 1, dtype), **conv_params(g, "p2_2", c2[1], c2[0], 3, dtype),
        **conv_params(g, "p3_1", c3[0], c, 1, dtype), **conv_params(g, "p3_2", c3[1], c3[0], 5, dtype),
        **conv_params(g, "p4_2", c4, c, 1, dtype),
    }


@st.composite
def inception_inputs(draw, dtype, negative=False, square=(True, False)):
    """inception_block(X (N, C, H, W), params of Inception(C, c1, (c2a, c2b), (c3a, c3b), c4))."""
    g = generator(draw)
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    c1, c2, c3, c4 = (draw(st.integers(1, 3)) for _ in range(4))
    c2 = (draw(st.integers(1, 3)), c2)
    c3 = (draw(st.integers(1, 3)), c3)
    h = draw(st.integers(1, 5))
    w = h if draw(st.sampled_from(square)) else draw(st.integers(1, 5))
    return Call((images(g, (n, c, h, w), dtype, negative), inception_params(g, c, c1, c2, c3, c4, dtype)))


def negative_images(dtype):
    return inception_inputs(dtype, negative=True)


def with_distinct_paths(dtype):
    """Non-square images and paths of different widths, so that a wrong order changes the shapes or the values."""
    return inception_inputs(dtype, square=(False,))


# ---------------------------------------------------------------- inputs: residual_block


def residual_params(g, c, o, conv3, dtype) -> dict:
    params = {
        **conv_params(g, "conv1", o, c, 3, dtype), **bn_params(g, "bn1", o, dtype),
        **conv_params(g, "conv2", o, o, 3, dtype), **bn_params(g, "bn2", o, dtype),
    }
    if conv3:
        params.update(conv_params(g, "conv3", o, c, 1, dtype))
    return params


@st.composite
def residual_inputs(draw, dtype, modes=(False, True), shortcuts=("identity", "conv3"), zero_bn2=False, min_batch=1):
    """residual_block(X (N, C, H, W), params of Residual(C, O, use_1x1conv, stride)[, stride=][, training=]).

    Without conv3: O = C and stride 1. With it: O in 1..4 and stride 1 or 2.
    """
    g = generator(draw)
    training, shortcut = draw(st.sampled_from(modes)), draw(st.sampled_from(shortcuts))
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    o, stride = (draw(st.integers(1, 4)), draw(st.sampled_from([1, 2]))) if shortcut == "conv3" else (c, 1)
    n = draw(st.integers(min_batch, 3))
    if training:
        n = enough_for_training(n, ((h - 1) // stride + 1) * ((w - 1) // stride + 1))
    params = residual_params(g, c, o, shortcut == "conv3", dtype)
    if zero_bn2:
        params["bn2.weight"], params["bn2.bias"] = torch.zeros(o, dtype=dtype), torch.zeros(o, dtype=dtype)
    kwargs = {"stride": stride} if stride != 1 or draw(st.booleans()) else {}
    return Call((images(g, (n, c, h, w), dtype), params), {**kwargs, **mode_kwargs(draw, training)})


def residual_training(dtype):
    return residual_inputs(dtype, modes=(True,))


def residual_eval(dtype):
    return residual_inputs(dtype, modes=(False,))


def residual_eval_batches(dtype):
    return residual_inputs(dtype, modes=(False,), min_batch=2)


def zeroed_bn2(dtype):
    return residual_inputs(dtype, zero_bn2=True)


@st.composite
def shortcut_mismatch(draw, dtype):
    """Residual parameters without conv3 and a stride of 2, or with conv1 changing the number of channels."""
    g = generator(draw)
    n, c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 5)), draw(st.integers(2, 5))
    if draw(st.booleans()):
        o, kwargs = c, {"stride": 2}
    else:
        o, kwargs = draw(st.integers(1, 4).filter(lambda v: v != c)), {}
    return Call((images(g, (n, c, h, w), dtype), residual_params(g, c, o, False, dtype)), {**kwargs, **mode_kwargs(draw, draw(st.booleans()))})


def seed_residual_examples(dtype):
    """The book's Residual(3, 3) and Residual(3, 6, use_1x1conv=True, stride=2) on rand(4, 3, 6, 6), in both modes."""
    g = torch.Generator().manual_seed(14)
    X = torch.rand(4, 3, 6, 6, generator=g, dtype=torch.float64).to(dtype)
    same, wider = residual_params(g, 3, 3, False, dtype), residual_params(g, 3, 6, True, dtype)
    return st.sampled_from([
        Call((X, params), {**kwargs, "training": training})
        for params, kwargs in ((same, {}), (wider, {"stride": 2}))
        for training in (True, False)
    ])


# ---------------------------------------------------------------- inputs: dense_block and transition_block


def dense_params(g, c, growth, num_convs, dtype) -> dict:
    params = {}
    for i in range(num_convs):
        params.update(bn_params(g, f"net.{i}.0", c + i * growth, dtype))
        params.update(conv_params(g, f"net.{i}.2", growth, c + i * growth, 3, dtype))
    return params


@st.composite
def dense_inputs(draw, dtype, modes=(False, True), min_batch=1):
    """dense_block(X (N, C, H, W), params of DenseBlock(num_convs, C, growth), num_convs[, training=])."""
    g = generator(draw)
    training = draw(st.sampled_from(modes))
    num_convs, growth = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n = draw(st.integers(min_batch, 3))
    if training:
        n = enough_for_training(n, h * w)
    params = dense_params(g, c, growth, num_convs, dtype)
    return Call((images(g, (n, c, h, w), dtype), params, num_convs), mode_kwargs(draw, training))


def dense_training(dtype):
    return dense_inputs(dtype, modes=(True,))


def dense_eval_batches(dtype):
    return dense_inputs(dtype, modes=(False,), min_batch=2)


def seed_dense_examples(dtype):
    """The book's DenseBlock(2, 3, 10) on rand(4, 3, 8, 8) -> (4, 23, 8, 8), in both modes."""
    g = torch.Generator().manual_seed(14)
    X = torch.rand(4, 3, 8, 8, generator=g, dtype=torch.float64).to(dtype)
    params = dense_params(g, 3, 10, 2, dtype)
    return st.sampled_from([Call((X, params, 2), {"training": training}) for training in (True, False)])


def transition_params(g, c, o, dtype) -> dict:
    return {**bn_params(g, "0", c, dtype), **conv_params(g, "2", o, c, 1, dtype)}


@st.composite
def transition_inputs(draw, dtype, modes=(False, True), odd=False, min_batch=1):
    """transition_block(X (N, C, H, W), params of transition_block(C, O)[, training=]), H, W >= 2."""
    g = generator(draw)
    training = draw(st.sampled_from(modes))
    c, o = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if odd:
        h, w = draw(st.sampled_from([3, 5])), draw(st.integers(2, 5))
        h, w = (h, w) if draw(st.booleans()) else (w, h)
    else:
        h, w = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    n = draw(st.integers(min_batch, 3))
    if training:
        n = enough_for_training(n, h * w)
    return Call((images(g, (n, c, h, w), dtype), transition_params(g, c, o, dtype)), mode_kwargs(draw, training))


def transition_training(dtype):
    return transition_inputs(dtype, modes=(True,))


def odd_sizes(dtype):
    return transition_inputs(dtype, odd=True)


def transition_eval_batches(dtype):
    return transition_inputs(dtype, modes=(False,), min_batch=2)


def seed_transition_examples(dtype):
    """The book's transition_block(23, 10) on the dense block's (4, 23, 8, 8) output -> (4, 10, 4, 4), in both modes."""
    g = torch.Generator().manual_seed(14)
    X = torch.rand(4, 23, 8, 8, generator=g, dtype=torch.float64).to(dtype)
    params = transition_params(g, 23, 10, dtype)
    return st.sampled_from([Call((X, params), {"training": training}) for training in (True, False)])


# ---------------------------------------------------------------- references: the book's modules


class Inception(nn.Module):
    """GoogLeNet's block: four paths, concatenated along the channels."""

    def __init__(self, in_c, c1, c2, c3, c4, dtype=torch.float64):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_c, c1, kernel_size=1, dtype=dtype)
        self.p2_1 = nn.Conv2d(in_c, c2[0], kernel_size=1, dtype=dtype)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1, dtype=dtype)
        self.p3_1 = nn.Conv2d(in_c, c3[0], kernel_size=1, dtype=dtype)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2, dtype=dtype)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_c, c4, kernel_size=1, dtype=dtype)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


class Residual(nn.Module):
    """ResNet's block: conv-BN-ReLU, conv-BN, plus the shortcut (conv3 when use_1x1conv), then ReLU."""

    def __init__(self, in_c, out_c, use_1x1conv=False, stride=1, dtype=torch.float64):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, kernel_size=3, padding=1, stride=stride, dtype=dtype)
        self.conv2 = nn.Conv2d(out_c, out_c, kernel_size=3, padding=1, dtype=dtype)
        self.conv3 = nn.Conv2d(in_c, out_c, kernel_size=1, stride=stride, dtype=dtype) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(out_c, dtype=dtype)
        self.bn2 = nn.BatchNorm2d(out_c, dtype=dtype)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y + X)


def conv_block(in_c, out_c, dtype=torch.float64):
    """DenseNet's pre-activation block: BN, ReLU, 3 x 3 convolution."""
    return nn.Sequential(nn.BatchNorm2d(in_c, dtype=dtype), nn.ReLU(), nn.Conv2d(in_c, out_c, kernel_size=3, padding=1, dtype=dtype))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, in_c, out_c, dtype=torch.float64):
        super().__init__()
        self.net = nn.ModuleList([conv_block(in_c + i * out_c, out_c, dtype) for i in range(num_convs)])

    def forward(self, X):
        for blk in self.net:
            X = torch.cat((X, blk(X)), dim=1)
        return X


def nin_module(in_c, out_c, k, stride, padding, dtype=torch.float64):
    return nn.Sequential(
        nn.Conv2d(in_c, out_c, k, stride, padding, dtype=dtype), nn.ReLU(),
        nn.Conv2d(out_c, out_c, kernel_size=1, dtype=dtype), nn.ReLU(),
        nn.Conv2d(out_c, out_c, kernel_size=1, dtype=dtype), nn.ReLU(),
    )


def transition_module(in_c, out_c, dtype=torch.float64):
    return nn.Sequential(
        nn.BatchNorm2d(in_c, dtype=dtype), nn.ReLU(), nn.Conv2d(in_c, out_c, kernel_size=1, dtype=dtype), nn.AvgPool2d(kernel_size=2, stride=2),
    )


@contextmanager
def single_threaded():
    """PyTorch's CPU batch_norm kernel for float64 starts threads even for tiny inputs (see 05); one is plenty here."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run_module(module: nn.Module, X: torch.Tensor, params: dict, training: bool, wide: bool = True):
    """(Y, new_state) of `module` loaded with `params`, in float64 (`wide`) on copies, cast back to X's dtype.

    new_state: the module's running statistics after the call, under the parameter dict's keys.
    """
    dtype = torch.float64 if wide else X.dtype
    loaded = module.to(dtype).load_state_dict({k: v.to(dtype, copy=True) for k, v in params.items()}, strict=False)
    if loaded.unexpected_keys or any(not k.endswith("num_batches_tracked") for k in loaded.missing_keys):
        raise ValueError(f"the test's parameters do not fit the reference module: {loaded}")  # the kit's fault, never the student's
    module.train(training)
    with torch.no_grad(), single_threaded():
        Y = module(X.to(dtype))
    buffers = module.state_dict()
    state = {k: buffers[k].to(X.dtype) for k in params if k.endswith((".running_mean", ".running_var"))}
    return Y.to(X.dtype), state


def reference_global_avg_pool2d(X):
    return F.adaptive_avg_pool2d(X, 1)


def reference_nin_block(X, params, stride, padding, wide=True):
    o, c, k, _ = params["0.weight"].shape
    return run_module(nin_module(c, o, k, stride, padding), X, params, False, wide)


def reference_inception_block(X, params, wide=True):
    def out(name):
        return params[f"{name}.weight"].shape[0]

    module = Inception(X.shape[1], out("p1_1"), (out("p2_1"), out("p2_2")), (out("p3_1"), out("p3_2")), out("p4_2"))
    return run_module(module, X, params, False, wide)


def reference_residual_block(X, params, stride=1, training=False, wide=True):
    module = Residual(X.shape[1], params["conv1.weight"].shape[0], use_1x1conv="conv3.weight" in params, stride=stride)
    return run_module(module, X, params, training, wide)


def reference_dense_block(X, params, num_convs, training=False, wide=True):
    growth = params["net.0.2.weight"].shape[0]
    return run_module(DenseBlock(num_convs, X.shape[1], growth), X, params, training, wide)


def reference_transition_block(X, params, training=False, wide=True):
    return run_module(transition_module(X.shape[1], params["2.weight"].shape[0]), X, params, training, wide)


def in_input_dtype(reference):
    """The reference run in the input's dtype, not float64: the students' baseline of the efficiency check."""

    def baseline(*args, **kwargs):
        return reference(*args, **kwargs, wide=False)

    return baseline


# ---------------------------------------------------------------- properties


def block_output(t: Trial, call: Call | None = None):
    """The (Y, new_state) a block returns for `call`, checked for its structure."""
    out = t.run(call)
    if not isinstance(out, (tuple, list)) or len(out) != 2 or not isinstance(out[1], dict):
        raise AssertionError("return a tuple (Y, new_state) with new_state a dict ({} for a block without batch norm)")
    return out


def matches(reference, what):
    def verify(t: Trial) -> None:
        block_output(t)
        t.assert_close(t.output, t.expected(reference), what)

    return verify


def pooled_means(t: Trial) -> None:
    X = t.call.args[0]
    t.assert_close(t.output, X.double().mean(dim=(2, 3), keepdim=True).to(X.dtype), "output (the mean of each channel, shape (N, C, 1, 1))")


def book_global_pool(t: Trial) -> None:
    X = t.call.args[0]
    t.assert_close(t.output, F.avg_pool2d(X.double(), kernel_size=X.shape[2:]).to(X.dtype), "output compared with the book's F.avg_pool2d(X, X.shape[2:])")


def identity_when_bn2_is_zero(t: Trial) -> None:
    X, params = t.call.args
    shortcut = X.double()
    if "conv3.weight" in params:
        shortcut = F.conv2d(shortcut, params["conv3.weight"].double(), params["conv3.bias"].double(), stride=t.call.kwargs.get("stride", 1))
    Y = block_output(t)[0]
    t.assert_close(Y, F.relu(shortcut).to(X.dtype), "Y with bn2.weight = bn2.bias = 0, compared with relu(shortcut(X))")


def raises_value_error(t: Trial) -> None:
    try:
        t.run()
    except StudentError as error:
        if str(error).startswith("ValueError"):
            return
        raise AssertionError(f"without conv3 a stride of 2 or a change of channels must raise ValueError, got {error}") from None
    raise AssertionError("without conv3 a stride of 2 or a change of channels must raise ValueError, but a value was returned")


def starts_with_input(t: Trial) -> None:
    X = t.call.args[0]
    Y = block_output(t)[0]
    if not isinstance(Y, torch.Tensor) or Y.dim() != 4 or Y.shape[1] < X.shape[1]:
        raise AssertionError("Y must be (N, C + num_convs * growth, H, W)")
    t.assert_close(Y[:, : X.shape[1]], X, "the first C channels of Y, compared with X", scale=0)


def eval_independent_of_batch(t: Trial) -> None:
    X = t.call.args[0]
    alone = block_output(t, t.call.replace(X[:1].clone(), *t.call.args[1:]))
    t.assert_close(alone[0], block_output(t)[0][:1], "Y in eval mode of the first image on its own, compared with its row in the batch")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# A large batch of tiny images with one channel: the vectorised block is a few convolutions on the
# whole batch (under a millisecond); a Python loop over the images runs them once per image, 20x
# to 300x slower. Loops over a block's layers (a dense block's conv blocks) are fine. Every tensor
# stays at 64 KB or less: larger ones are allocated afresh by the system (mmap) on every call,
# which costs more than the convolutions themselves and would hide a loop in the baseline's noise.
BATCH, CHANNELS, SIDE = 4096, 1, 2


def _mode(g) -> bool:
    return bool(torch.randint(2, (), generator=g))


def _large_images(g, dtype) -> torch.Tensor:
    return images(g, (BATCH, CHANNELS, SIDE, SIDE), dtype)


@seeded
def large_pool(g, dtype):
    """global_avg_pool2d(X (8192, 1, 1, 2)): twice the images, as the pooling alone is cheaper than a block."""
    return Call((images(g, (2 * BATCH, CHANNELS, 1, SIDE), dtype),))


@seeded
def large_nin(g, dtype):
    """nin_block(X (4096, 1, 2, 2), 3 x 3 then 1 x 1 convolutions to 2 channels, stride 1, padding 1)."""
    params = {**conv_params(g, "0", 2, CHANNELS, 3, dtype), **conv_params(g, "2", 2, 2, 1, dtype), **conv_params(g, "4", 2, 2, 1, dtype)}
    return Call((_large_images(g, dtype), params, 1, 1))


@seeded
def large_inception(g, dtype):
    """inception_block(X (4096, 1, 2, 2), Inception(1, 1, (1, 1), (1, 1), 1))."""
    return Call((_large_images(g, dtype), inception_params(g, CHANNELS, 1, (1, 1), (1, 1), 1, dtype)))


@seeded
def large_residual(g, dtype):
    """residual_block(X (4096, 1, 2, 2), Residual(1, 1) or Residual(1, 2, use_1x1conv=True, stride=2)[, training=True])."""
    conv3 = _mode(g)
    params = residual_params(g, CHANNELS, 2 if conv3 else CHANNELS, conv3, dtype)
    return Call((_large_images(g, dtype), params), {"stride": 2 if conv3 else 1, "training": _mode(g)})


@seeded
def large_dense(g, dtype):
    """dense_block(X (4096, 1, 2, 2), DenseBlock(2, 1, 1), 2[, training=True])."""
    return Call((_large_images(g, dtype), dense_params(g, CHANNELS, 1, 2, dtype), 2), {"training": _mode(g)})


@seeded
def large_transition(g, dtype):
    """transition_block(X (4096, 1, 2, 2), transition_block(1, 2)[, training=True])."""
    return Call((_large_images(g, dtype), transition_params(g, CHANNELS, 2, dtype)), {"training": _mode(g)})


# ---------------------------------------------------------------- the assignment

# Sums over up to 100 products, then a batch norm that divides by the batch's standard
# deviation: a correct float32 block computed in another order differs from the float64
# reference by a few 1e-6 relative. Every mistake the tests target is of order 1.
BLOCK_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5)}
EXAMPLES = 10
TRAINING_HINT = "in training each batch norm uses its batch statistics and returns running ones updated with momentum 0.1 and the unbiased variance"
EVAL_HINT = "in eval mode each batch norm uses its running statistics and returns them unchanged"
STATE_HINT = "new_state holds '<bn>.running_mean' and '<bn>.running_var' of EVERY batch norm of the block, updated on copies"

ASSIGNMENT = Assignment(
    id="14",
    module="blocks",
    title="modern CNN blocks",
    functions=(
        Function(
            "global_avg_pool2d",
            pool_inputs,
            points=1,
            reference=reference_global_avg_pool2d,
            reference_name="F.adaptive_avg_pool2d(X, 1)",
            efficiency=Efficiency(large_pool, factor=20, why="the book's F.avg_pool2d(X, X.shape[2:]): within 2x; a loop over the images 110x and more"),
            checks=(
                Check(
                    "averages each channel over H and W, keeping (N, C, 1, 1)",
                    pooled_means,
                    inputs=non_square,
                    examples=EXAMPLES,
                    hint="mean over dims (2, 3) with keepdim=True: one value per image and channel",
                ),
                Check(
                    "the book's examples: (1, 10, 5, 5) and (1, 512, 7, 7) give (1, 10, 1, 1) and (1, 512, 1, 1)",
                    book_global_pool,
                    inputs=seed_pool_examples,
                    hint="the book's GlobalAvgPool2d is F.avg_pool2d with a window of the whole image",
                ),
            ),
        ),
        Function(
            "nin_block",
            nin_inputs,
            points=1,
            reference=reference_nin_block,
            reference_name="the book's nin_block (nn.Sequential) with the same parameters",
            efficiency=Efficiency(large_nin, factor=20, why="1 x 1 convolutions as einsum: within 1.2x; a loop over the images 170x and more", reference=in_input_dtype(reference_nin_block)),
            tolerance=BLOCK_TOLERANCE,
            checks=(
                Check(
                    "stride and padding (ints or pairs) apply to the first convolution only",
                    matches(reference_nin_block, "(Y, {}) with a stride or padding"),
                    inputs=strided_or_padded,
                    examples=EXAMPLES,
                    hint="the two 1 x 1 convolutions use stride 1 and no padding; only '0' gets stride and padding",
                ),
                Check(
                    "the book's examples: nin_block(1, 96, 11, 4, 0) on (1, 1, 224, 224) gives (1, 96, 54, 54)",
                    matches(reference_nin_block, "(Y, {}) of the book's NiN blocks"),
                    inputs=seed_nin_examples,
                    hint="conv '0' -> ReLU -> 1 x 1 conv '2' -> ReLU -> 1 x 1 conv '4' -> ReLU, and return (Y, {})",
                ),
            ),
        ),
        Function(
            "inception_block",
            inception_inputs,
            points=2,
            reference=reference_inception_block,
            reference_name="the book's Inception with the same parameters",
            efficiency=Efficiency(large_inception, factor=20, why="-inf padding by hand: 1.1x; a loop over the images 260x and more", reference=in_input_dtype(reference_inception_block)),
            tolerance=BLOCK_TOLERANCE,
            checks=(
                Check(
                    "concatenates [p1, p2, p3, p4] along the channels, in that order",
                    matches(reference_inception_block, "(Y, {}) on non-square images"),
                    inputs=with_distinct_paths,
                    examples=EXAMPLES,
                    hint="torch.cat([p1, p2, p3, p4], dim=1): the 1 x 1, 3 x 3, 5 x 5 and pooling paths, channels of each kept together",
                ),
                Check(
                    "the pooling path pads with -inf (all-negative images)",
                    matches(reference_inception_block, "(Y, {}) on all-negative images"),
                    inputs=negative_images,
                    examples=EXAMPLES,
                    hint="F.max_pool2d(X, 3, stride=1, padding=1) pads with -inf; zero padding lets a 0 win at the border of negative images",
                ),
            ),
        ),
        Function(
            "residual_block",
            residual_inputs,
            points=3,
            reference=reference_residual_block,
            reference_name="the book's Residual with the same parameters",
            efficiency=Efficiency(large_residual, factor=20, why="float64 inside: 2.5x, batch norm by hand 1.5x; a loop over the images (convolutions only) 100x and more", reference=in_input_dtype(reference_residual_block)),
            tolerance=BLOCK_TOLERANCE,
            checks=(
                Check(
                    "the book's examples: Residual(3, 3) keeps (4, 3, 6, 6); Residual(3, 6, use_1x1conv=True, stride=2) gives (4, 6, 3, 3)",
                    matches(reference_residual_block, "(Y, new_state) of the book's residual blocks"),
                    inputs=seed_residual_examples,
                    hint="conv1 takes the stride and padding 1, conv2 padding 1, conv3 (1 x 1) the stride",
                ),
                Check(
                    "with bn2's weight and bias at 0, the block is relu(shortcut(X))",
                    identity_when_bn2_is_zero,
                    inputs=zeroed_bn2,
                    examples=EXAMPLES,
                    hint="out = relu(bn2(conv2(...)) + shortcut): add the shortcut BEFORE the final ReLU, and give conv3 the block's stride",
                ),
                Check(
                    "in training, matches Residual.train() and returns both batch norms' running statistics",
                    matches(reference_residual_block, "(Y, new_state) in training"),
                    inputs=residual_training,
                    examples=EXAMPLES,
                    hint=f"{TRAINING_HINT}; {STATE_HINT}",
                ),
                Check(
                    "in eval mode, matches Residual.eval() and returns the running statistics unchanged",
                    matches(reference_residual_block, "(Y, new_state) in eval mode"),
                    inputs=residual_eval,
                    examples=EXAMPLES,
                    hint=EVAL_HINT,
                ),
                Check(
                    "in eval mode, each image's output is independent of the others",
                    eval_independent_of_batch,
                    inputs=residual_eval_batches,
                    examples=EXAMPLES,
                    hint=EVAL_HINT,
                    gated=True,
                ),
                Check(
                    "raises ValueError for a stride or a change of channels without conv3",
                    raises_value_error,
                    inputs=shortcut_mismatch,
                    dtypes=(torch.float32,),
                    examples=5,
                    hint="the shortcut X can only be added to Y of the same shape: without 'conv3.weight' require stride 1 and O == C",
                    gated=True,
                ),
            ),
        ),
        Function(
            "dense_block",
            dense_inputs,
            points=2,
            reference=reference_dense_block,
            reference_name="the book's DenseBlock with the same parameters",
            efficiency=Efficiency(large_dense, factor=20, why="a list of feature maps: 1x, batch norm by hand 1.3x (the loop over the 2 conv blocks is fine); a loop over the images 110x and more", reference=in_input_dtype(reference_dense_block)),
            tolerance=BLOCK_TOLERANCE,
            checks=(
                Check(
                    "the book's example: DenseBlock(2, 3, 10) on (4, 3, 8, 8) gives (4, 23, 8, 8)",
                    matches(reference_dense_block, "(Y, new_state) of the book's dense block"),
                    inputs=seed_dense_examples,
                    hint="each conv block sees everything so far: out = cat([out, conv_block(out)], dim=1), C + num_convs * growth channels",
                ),
                Check(
                    "the first C channels of the output are X itself",
                    starts_with_input,
                    examples=EXAMPLES,
                    hint="concatenate the input first: cat([out, Y], dim=1), not cat([Y, out])",
                    gated=True,
                ),
                Check(
                    "in training, matches DenseBlock.train() and returns every batch norm's running statistics",
                    matches(reference_dense_block, "(Y, new_state) in training"),
                    inputs=dense_training,
                    examples=EXAMPLES,
                    hint=f"conv block i is BN 'net.i.0' -> ReLU -> conv 'net.i.2' (pre-activation); {STATE_HINT}",
                ),
                Check(
                    "in eval mode, each image's output is independent of the others",
                    eval_independent_of_batch,
                    inputs=dense_eval_batches,
                    examples=EXAMPLES,
                    hint=EVAL_HINT,
                    gated=True,
                ),
            ),
        ),
        Function(
            "transition_block",
            transition_inputs,
            points=1,
            reference=reference_transition_block,
            reference_name="the book's transition_block (nn.Sequential) with the same parameters",
            efficiency=Efficiency(large_transition, factor=20, why="pooling before the 1 x 1 convolution: 0.9x, batch norm by hand 1.2x; a loop over the images 75x and more", reference=in_input_dtype(reference_transition_block)),
            tolerance=BLOCK_TOLERANCE,
            checks=(
                Check(
                    "the book's example: transition_block(23, 10) on (4, 23, 8, 8) gives (4, 10, 4, 4)",
                    matches(reference_transition_block, "(Y, new_state) of the book's transition layer"),
                    inputs=seed_transition_examples,
                    hint="BN '0' -> ReLU -> 1 x 1 conv '2' -> 2 x 2 AVERAGE pooling with stride 2",
                ),
                Check(
                    "an odd height or width loses its last row or column, as F.avg_pool2d does",
                    matches(reference_transition_block, "(Y, new_state) for an odd height or width"),
                    inputs=odd_sizes,
                    examples=EXAMPLES,
                    hint="F.avg_pool2d(Y, kernel_size=2, stride=2): H // 2 rows, no padding",
                ),
                Check(
                    "in training, returns the batch norm's updated running statistics",
                    matches(reference_transition_block, "(Y, new_state) in training"),
                    inputs=transition_training,
                    examples=EXAMPLES,
                    hint=f"{TRAINING_HINT}; {STATE_HINT}",
                ),
                Check(
                    "in eval mode, each image's output is independent of the others",
                    eval_independent_of_batch,
                    inputs=transition_eval_batches,
                    examples=EXAMPLES,
                    hint=EVAL_HINT,
                    gated=True,
                ),
            ),
        ),
    ),
    forbidden=(
        # torch.nn's containers and layers; a forbidden class is that class only, so F.conv2d, F.relu, F.max_pool2d and
        # F.avg_pool2d stay allowed (the runtime record cannot tell them apart: the same aten ops)
        "torch.nn.Module", "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict",
        "torch.nn.Conv2d", "torch.nn.ReLU", "torch.nn.MaxPool2d", "torch.nn.AvgPool2d",
        "torch.nn.BatchNorm2d", "torch.nn.LazyBatchNorm2d", "torch.nn.LazyConv2d",
        "torch.nn.AdaptiveAvgPool2d", "torch.nn.AdaptiveMaxPool2d",
        "torch.nn.functional.adaptive_avg_pool2d", "torch.nn.functional.adaptive_max_pool2d",
        "torchvision",
    ),
)

test_public = public_tests(ASSIGNMENT)
