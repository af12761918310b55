"""Public tests for assignment 04 (convolution and pooling).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/04
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded

# ---------------------------------------------------------------- inputs

LOW, HIGH = -3.0, 3.0
SHOWN = 12  # tensors up to this many elements are printed with their values in failure reports


@st.composite
def dense(draw, shape: tuple[int, ...], dtype: torch.dtype, low: float = LOW, high: float = HIGH) -> torch.Tensor:
    """A tensor of distinct-looking values in [low, high], so kernels are rarely symmetric.

    Small tensors (the ones a failure report prints) are drawn element by element, so they
    shrink to round numbers; larger ones come from a drawn seed, which is much faster.
    """
    if math.prod(shape) <= SHOWN:
        np_dtype = np.float32 if dtype == torch.float32 else np.float64
        array = draw(hnp.arrays(np_dtype, shape, elements=floats(dtype, low, high), fill=st.nothing()))
        return torch.from_numpy(np.ascontiguousarray(array)).clone()
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1)))
    return low + (high - low) * torch.rand(shape, generator=generator, dtype=dtype)


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    """3 or (1, 2): the two forms PyTorch accepts for stride and padding."""
    return st.integers(low, high) | st.tuples(st.integers(low, high), st.integers(low, high))


def as_pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


@st.composite
def kernel_shapes(draw) -> tuple[int, int]:
    return draw(st.integers(1, 3)), draw(st.integers(1, 3))


@st.composite
def corr2d_inputs(draw, dtype):
    """corr2d(X (H, W), K (kh, kw)) with H >= kh, W >= kw."""
    kh, kw = draw(kernel_shapes())
    H, W = kh + draw(st.integers(0, 4)), kw + draw(st.integers(0, 4))
    return Call((draw(dense((H, W), dtype)), draw(dense((kh, kw), dtype))))


@st.composite
def multi_in_inputs(draw, dtype, min_channels=1):
    """corr2d_multi_in(X (C, H, W), K (C, kh, kw))."""
    kh, kw = draw(kernel_shapes())
    C = draw(st.integers(min_channels, 3))
    H, W = kh + draw(st.integers(0, 3)), kw + draw(st.integers(0, 3))
    return Call((draw(dense((C, H, W), dtype)), draw(dense((C, kh, kw), dtype))))


@st.composite
def multi_in_out_inputs(draw, dtype, min_channels=1):
    """corr2d_multi_in_out(X (C, H, W), K (O, C, kh, kw))."""
    kh, kw = draw(kernel_shapes())
    C, C_out = draw(st.integers(min_channels, 3)), draw(st.integers(1, 3))
    H, W = kh + draw(st.integers(0, 3)), kw + draw(st.integers(0, 3))
    return Call((draw(dense((C, H, W), dtype)), draw(dense((C_out, C, kh, kw), dtype))))


@st.composite
def conv2d_inputs(draw, dtype, min_channels=1, bias="any", padded="any", min_out_channels=1, min_outputs=1):
    """conv2d(X (N, C, H, W), weight (O, C, kh, kw), bias=(O,) | None | absent, stride=, padding=).

    stride and padding are an int, a pair, or left at their defaults.
    bias: "any", "always" or "never"; padded: "any", "always" (>= 1) or "never" (absent or 0);
    the image is large enough for at least `min_outputs` output rows and columns.
    """
    kh, kw = draw(kernel_shapes())
    N, C, C_out = draw(st.integers(1, 2)), draw(st.integers(min_channels, 3)), draw(st.integers(min_out_channels, 3))
    kwargs = {}
    if bias == "always" or (bias == "any" and draw(st.booleans())):
        kwargs["bias"] = draw(dense((C_out,), dtype))
    elif bias == "any" and draw(st.booleans()):
        kwargs["bias"] = None
    stride = draw(st.none() | int_or_pair(1, 3))
    if stride is not None:
        kwargs["stride"] = stride
    if padded == "always":
        padding = draw(int_or_pair(1, 2))
    elif padded == "any":
        padding = draw(st.none() | int_or_pair(0, 2))
    else:
        padding = draw(st.sampled_from([None, 0]))
    if padding is not None:
        kwargs["padding"] = padding
    (ph, pw), (sh, sw) = as_pair(padding or 0), as_pair(stride or 1)
    H = max(1, kh - 2 * ph) + sh * (min_outputs - 1) + draw(st.integers(0, 4))
    W = max(1, kw - 2 * pw) + sw * (min_outputs - 1) + draw(st.integers(0, 4))
    X, weight = draw(dense((N, C, H, W), dtype)), draw(dense((C_out, C, kh, kw), dtype))
    return Call((X, weight), kwargs)


@st.composite
def pool2d_inputs(draw, dtype, modes=(None, "max", "avg"), padded="any", low=LOW, high=HIGH, min_outputs=1):
    """pool2d(X (N, C, H, W), kernel_size, stride=, padding=, mode=); padding <= kernel // 2 as PyTorch requires.

    padded: "any", "always" (kernel 2 or 3 and padding 1 on both axes) or "never"; the image
    is large enough for at least `min_outputs` output rows and columns.
    """
    kh, kw = draw(kernel_shapes()) if padded != "always" else (draw(st.integers(2, 3)), draw(st.integers(2, 3)))
    square = draw(st.booleans())
    if square:
        kw = kh
    kwargs = {}
    stride = draw(st.none() | int_or_pair(1, 3))
    if stride is not None:
        kwargs["stride"] = stride
    if padded != "never":
        low_padding = 1 if padded == "always" else 0
        ph, pw = draw(st.integers(low_padding, kh // 2)), draw(st.integers(low_padding, kw // 2))
        forms = [ph, (ph, pw)] if ph <= kw // 2 else [(ph, pw)]
        padding = draw(st.sampled_from(forms if padded == "always" else [None, *forms]))
        if padding is not None:
            kwargs["padding"] = padding
    else:
        padding = None
    mode = draw(st.sampled_from(modes))
    if mode is not None:
        kwargs["mode"] = mode
    (ph, pw), (sh, sw) = as_pair(padding or 0), as_pair(stride or (kh, kw))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    H = max(1, kh - 2 * ph) + sh * (min_outputs - 1) + draw(st.integers(0, 4))
    W = max(1, kw - 2 * pw) + sw * (min_outputs - 1) + draw(st.integers(0, 4))
    X = draw(dense((N, C, H, W), dtype, low, high))
    return Call((X, kh if square and draw(st.booleans()) else (kh, kw)), kwargs)


def with_partners(base):
    """The base call plus a second input and kernel of the same shapes and two scalars (in `extra`)."""

    @st.composite
    def strategy(draw, dtype):
        call = draw(base(dtype))
        X, K = call.args[:2]
        extra = {"X2": draw(dense(tuple(X.shape), dtype)), "K2": draw(dense(tuple(K.shape), dtype))}
        extra["a"], extra["b"] = draw(floats(dtype, -2, 2)), draw(floats(dtype, -2, 2))
        return Call(call.args, call.kwargs, extra=extra)

    return strategy


@st.composite
def one_hot_kernels(draw, dtype):
    """corr2d(X, K) with K zero except a 1 at (a, b), kept in `extra`."""
    kh, kw = draw(kernel_shapes())
    H, W = kh + draw(st.integers(0, 4)), kw + draw(st.integers(0, 4))
    a, b = draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1))
    K = torch.zeros((kh, kw), dtype=dtype)
    K[a, b] = 1
    return Call((draw(dense((H, W), dtype)), K), extra={"a": a, "b": b})


def linear_conv_inputs(dtype):
    return with_partners(lambda d: conv2d_inputs(d, bias="never"))(dtype)


def unpadded_conv_inputs(dtype):
    return conv2d_inputs(dtype, padded="never", min_outputs=2)


def padded_conv_inputs(dtype):
    return conv2d_inputs(dtype, padded="always")


def channel_split_conv_inputs(dtype):
    return conv2d_inputs(dtype, min_channels=2, bias="never")


def biased_conv_inputs(dtype):
    return conv2d_inputs(dtype, bias="always", min_out_channels=2)


def unpadded_pool_inputs(dtype):
    return pool2d_inputs(dtype, padded="never", min_outputs=2)


def avg_pool_inputs(dtype):
    return pool2d_inputs(dtype, modes=("avg",))


def padded_pool_inputs(dtype):
    return pool2d_inputs(dtype, padded="always")


def negative_max_pool_inputs(dtype):
    """All-negative inputs, max pooling with padding: a zero from the padding would win."""
    return pool2d_inputs(dtype, modes=("max",), padded="always", low=-3.0, high=-0.5)


# ---------------------------------------------------------------- properties


def with_arg(call: Call, position: int, value) -> Call:
    args = list(call.args)
    args[position] = value
    return call.replace(*args)


def linear_in(position: int, name: str):
    """f(..., a*A + b*B, ...) == a*f(..., A, ...) + b*f(..., B, ...) for argument `position`."""

    def verify(t: Trial) -> None:
        a, b = t.call.extra["a"], t.call.extra["b"]
        first = t.call.args[position]
        other = t.call.extra["X2" if position == 0 else "K2"]
        separate = a * t.output + b * t.run(with_arg(t.call, position, other))
        combined = t.run(with_arg(t.call, position, a * first + b * other))
        t.assert_close(combined, separate, f"f(a*{name}1 + b*{name}2) compared with a*f({name}1) + b*f({name}2)", scale=10)

    return verify


def strides_of_conv(call: Call) -> tuple[int, int]:
    return as_pair(call.kwargs.get("stride", 1))


def strides_of_pool(call: Call) -> tuple[int, int]:
    stride = call.kwargs.get("stride")
    return as_pair(call.args[1] if stride is None else stride)


def shift_equivariant(strides=lambda call: (1, 1)):
    """Rolling X down by the row stride s shifts the output down by one row (columns alike).

    Without padding, output row r >= 1 of the rolled input sees exactly the input rows that
    output row r - 1 saw before; row 0 sees the wrapped-around rows and is not compared.
    """

    def verify(t: Trial) -> None:
        X, out = t.call.args[0], t.output
        for axis, step, what in ((-2, strides(t.call)[0], "row"), (-1, strides(t.call)[1], "column")):
            n = out.shape[axis]
            if n < 2:
                continue
            moved = t.run(with_arg(t.call, 0, torch.roll(X, step, dims=axis)))
            t.assert_close(
                moved.narrow(axis, 1, n - 1),
                out.narrow(axis, 0, n - 1),
                f"output for X moved by {step} {what}(s) (the stride), compared with the output moved by one {what}",
            )

    return verify


def picks_shifted_window(t: Trial) -> None:
    X, K = t.call.args
    a, b = t.call.extra["a"], t.call.extra["b"]
    oh, ow = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    t.assert_close(t.output, X[a : a + oh, b : b + ow], f"output for a kernel that is 1 at ({a}, {b}) and 0 elsewhere")


def channels_add(x_axis: int, k_axis: int):
    """Splitting the input channels in two and adding the two results gives the full result."""

    def verify(t: Trial) -> None:
        X, K = t.call.args[:2]
        c = X.shape[x_axis] // 2
        first = t.run(t.call.replace(X.narrow(x_axis, 0, c), K.narrow(k_axis, 0, c)))
        rest = t.run(t.call.replace(X.narrow(x_axis, c, X.shape[x_axis] - c), K.narrow(k_axis, c, K.shape[k_axis] - c)))
        t.assert_close(t.output, first + rest, f"output compared with (channels before {c}) + (channels from {c} on)", scale=10)

    return verify


def output_channels_follow_kernels(out_axis: int):
    """Reversing the order of the kernels (and biases) reverses the order of the output channels."""

    def verify(t: Trial) -> None:
        X, K = t.call.args[:2]
        call = t.call.replace(X, K.flip(0))
        if isinstance(t.call.kwargs.get("bias"), torch.Tensor):
            call = call.replace(bias=t.call.kwargs["bias"].flip(0))
        t.assert_close(t.run(call), t.output.flip(out_axis), "output for the kernels in reverse order, compared with the output channels reversed")

    return verify


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def shape_of(output) -> tuple[int, ...]:
    if type(output) is not torch.Tensor:
        raise AssertionError(f"expected a tensor, got {type(output).__name__}")
    return tuple(output.shape)


def conv_shape(t: Trial) -> None:
    X, weight = t.call.args[:2]
    (sh, sw), (ph, pw) = strides_of_conv(t.call), as_pair(t.call.kwargs.get("padding", 0))
    kh, kw = weight.shape[2:]
    expected = (X.shape[0], weight.shape[0], output_size(X.shape[2], kh, sh, ph), output_size(X.shape[3], kw, sw, pw))
    got = shape_of(t.output)
    if got != expected:
        raise AssertionError(f"expected shape {expected} = (N, O, (H + 2*ph - kh)//sh + 1, (W + 2*pw - kw)//sw + 1), got {got}")


def pool_shape(t: Trial) -> None:
    X = t.call.args[0]
    (kh, kw), (sh, sw), (ph, pw) = as_pair(t.call.args[1]), strides_of_pool(t.call), as_pair(t.call.kwargs.get("padding", 0))
    expected = (X.shape[0], X.shape[1], output_size(X.shape[2], kh, sh, ph), output_size(X.shape[3], kw, sw, pw))
    got = shape_of(t.output)
    if got != expected:
        raise AssertionError(f"expected shape {expected} = (N, C, (H + 2*ph - kh)//sh + 1, (W + 2*pw - kw)//sw + 1), got {got}")


def bias_per_output_channel(t: Trial) -> None:
    bias = t.call.kwargs["bias"]
    without = t.run(t.call.replace(bias=None))
    t.assert_close(t.output - without, (bias.reshape(1, -1, 1, 1) + torch.zeros_like(without)), "output with bias minus output without", scale=10)


def frame(X: torch.Tensor, ph: int, pw: int, value: float) -> torch.Tensor:
    """X with ph rows above and below and pw columns left and right of `value`."""
    N, C, H, W = X.shape
    out = torch.full((N, C, H + 2 * ph, W + 2 * pw), value, dtype=X.dtype)
    out[:, :, ph : ph + H, pw : pw + W] = X
    return out


def padding_is_a_frame(value_for):
    """f(X, padding=(ph, pw)) == f(X framed by ph rows / pw columns of the padding value, padding=0)."""

    def verify(t: Trial) -> None:
        ph, pw = as_pair(t.call.kwargs.get("padding", 0))
        value = value_for(t.call)
        framed = t.run(with_arg(t.call, 0, frame(t.call.args[0], ph, pw, value)).replace(padding=0))
        t.assert_close(t.output, framed, f"output with padding=({ph}, {pw}), compared with padding=0 on X framed by {value} on all four sides")

    return verify


def default_stride_is_kernel_size(t: Trial) -> None:
    kwargs = {k: v for k, v in t.call.kwargs.items() if k != "stride"}
    default = t.run(Call(t.call.args, kwargs))
    explicit = t.run(Call(t.call.args, {**kwargs, "stride": t.call.args[1]}))
    t.assert_close(default, explicit, "output without stride, compared with stride=kernel_size")


# ---------------------------------------------------------------- references


# The references run F.conv2d in float64 and round the result to the inputs' dtype: more
# accurate than float32, and much faster for tiny inputs than oneDNN's float32 kernels.


def in_float64(fn, *tensors, **kwargs) -> torch.Tensor:
    dtype = tensors[0].dtype
    return fn(*(t.double() if isinstance(t, torch.Tensor) else t for t in tensors), **kwargs).to(dtype)


def reference_corr2d(X, K):
    return in_float64(F.conv2d, X[None, None], K[None, None])[0, 0]


def reference_corr2d_multi_in(X, K):
    return in_float64(F.conv2d, X[None], K[None])[0, 0]


def reference_corr2d_multi_in_out(X, K):
    return in_float64(F.conv2d, X[None], K)[0]


def reference_conv2d(X, weight, bias=None, stride=1, padding=0):
    return in_float64(F.conv2d, X, weight, bias, stride=stride, padding=padding)


def reference_pool2d(X, kernel_size, stride=None, padding=0, mode="max"):
    if mode == "max":
        return F.max_pool2d(X, kernel_size, stride, padding)
    return F.avg_pool2d(X, kernel_size, stride, padding)


# Sums of up to 27 products of values in [-3, 3]: float32 rounding differs from PyTorch's order.
TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-4)}

LINEAR_HINT = "no non-linear step belongs in a cross-correlation: only products with the kernel and sums"
SHIFT_HINT = "slice the input the same way for every output pixel: rows i, i + stride, i + 2*stride, ... for kernel offset i"

PROPERTY_EXAMPLES = 10  # each property makes two to five calls per example; 10 keeps the run short


def Property(name: str, verify, **kwargs) -> Check:
    return Check(name, verify, examples=PROPERTY_EXAMPLES, **kwargs)


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Tall images and large batches of small ones: a loop over the kernel offsets (9 of them) or a
# few channels is fine; a loop over output pixels, rows or batch elements runs thousands of
# small torch calls (microseconds each) and is 30x to 1000x slower.


@seeded
def large_corr2d(g, dtype):
    """corr2d(X (512, 32), K (3, 3)): 15,300 output pixels, 510 output rows."""
    return Call((randn(g, 512, 32, dtype=dtype), randn(g, 3, 3, dtype=dtype)))


@seeded
def large_multi_in(g, dtype):
    """corr2d_multi_in(X (3, 512, 32), K (3, 3, 3)): one corr2d per input channel is fine."""
    return Call((randn(g, 3, 512, 32, dtype=dtype), randn(g, 3, 3, 3, dtype=dtype)))


@seeded
def large_multi_in_out(g, dtype):
    """corr2d_multi_in_out(X (3, 1024, 8), K (4, 3, 3, 3)): one corr2d_multi_in per output channel is fine.

    Tall and narrow: a loop over the 1022 output rows runs 4 times the ops it ran on the 254
    rows of (3, 256, 32), for the same number of pixels (it measured 40x there, 1.3x its budget).
    """
    return Call((randn(g, 3, 1024, 8, dtype=dtype), randn(g, 4, 3, 3, 3, dtype=dtype)))


@seeded
def large_conv2d(g, dtype):
    """conv2d(X (1024, 1, 4, 4), weight (2, 1, 3, 3), bias (2,), padding=1): a batch of 1024 small images."""
    X, weight, bias = randn(g, 1024, 1, 4, 4, dtype=dtype), randn(g, 2, 1, 3, 3, dtype=dtype), randn(g, 2, dtype=dtype)
    return Call((X, weight), {"bias": bias, "padding": 1})


@seeded
def large_pool2d(g, dtype):
    """pool2d(X (8192, 1, 2, 2), 2, mode=max or avg): a batch of 8192 images of one window each.

    One window per image: the vectorised cost is then a few ops on 8192 values, and a loop
    over the images pays its ops per image (on 4x4 images it measured only 61x, 1.6x its budget).
    """
    mode = ("max", "avg")[int(torch.randint(2, (), generator=g))]
    return Call((randn(g, 8192, 1, 2, 2, dtype=dtype), 2), {"mode": mode})


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="04",
    module="conv",
    title="convolution and pooling",
    functions=(
        Function(
            "corr2d",
            corr2d_inputs,
            points=2,
            reference=reference_corr2d,
            reference_name="F.conv2d on X[None, None] and K[None, None]",
            efficiency=Efficiency(large_corr2d, factor=20, why="one einsum over stacked windows: 1x; a loop over the 510 output rows 230x and more"),
            tolerance=TOLERANCE,
            checks=(
                Property(
                    "a one-hot kernel picks a shifted window of X",
                    picks_shifted_window,
                    inputs=one_hot_kernels,
                    dtypes=(torch.float64,),
                    hint="cross-correlation does not flip the kernel: Y[r, c] = sum_ij X[r + i, c + j] * K[i, j]",
                ),
                Property("is linear in X", linear_in(0, "X"), inputs=with_partners(corr2d_inputs), dtypes=(torch.float64,), hint=LINEAR_HINT, gated=True),
                Property("is linear in K", linear_in(1, "K"), inputs=with_partners(corr2d_inputs), dtypes=(torch.float64,), hint=LINEAR_HINT, gated=True),
                Property("shifting X by one pixel shifts the output by one pixel", shift_equivariant(), dtypes=(torch.float64,), hint=SHIFT_HINT, gated=True),
            ),
        ),
        Function(
            "corr2d_multi_in",
            multi_in_inputs,
            points=2,
            reference=reference_corr2d_multi_in,
            reference_name="F.conv2d on X[None] and K[None]",
            efficiency=Efficiency(large_multi_in, factor=20, why="one corr2d per input channel costs 1.6x; a loop over the output rows 170x and more"),
            tolerance=TOLERANCE,
            checks=(
                Property(
                    "the input channels add up",
                    channels_add(0, 0),
                    inputs=lambda dtype: multi_in_inputs(dtype, min_channels=2),
                    dtypes=(torch.float64,),
                    hint="sum the per-channel cross-correlations over the channel axis (axis 0); do not average them",
                    gated=True,
                ),
            ),
        ),
        Function(
            "corr2d_multi_in_out",
            multi_in_out_inputs,
            points=2,
            reference=reference_corr2d_multi_in_out,
            reference_name="F.conv2d on X[None]",
            efficiency=Efficiency(large_multi_in_out, factor=20, why="one corr2d_multi_in per output channel (the book's way) costs 2.1x; a loop over the output rows 84x and more"),
            tolerance=TOLERANCE,
            checks=(
                Property(
                    "the input channels add up",
                    channels_add(0, 1),
                    inputs=lambda dtype: multi_in_out_inputs(dtype, min_channels=2),
                    dtypes=(torch.float64,),
                    hint="sum over the input channels (axis 1 of K), not over the output channels, and do not average",
                    gated=True,
                ),
                Property(
                    "output channel o uses only the kernel K[o]",
                    output_channels_follow_kernels(0),
                    dtypes=(torch.float64,),
                    hint="output o is corr2d_multi_in(X, K[o]); stack them along a new axis 0",
                    gated=True,
                ),
            ),
        ),
        Function(
            "conv2d",
            conv2d_inputs,
            points=5,
            reference=reference_conv2d,
            reference_name="F.conv2d",
            efficiency=Efficiency(large_conv2d, factor=20, why="one contraction, tensordot in float64: within 1.5x; a loop over the 1024 images 370x and more"),
            tolerance=TOLERANCE,
            checks=(
                Property(
                    "has shape (N, O, (H + 2*ph - kh)//sh + 1, (W + 2*pw - kw)//sw + 1)",
                    conv_shape,
                    dtypes=(torch.float32,),
                    hint="stride and padding may each be an int (both axes) or a pair (rows, columns)",
                    gated=True,
                ),
                Property("is linear in X", linear_in(0, "X"), inputs=linear_conv_inputs, dtypes=(torch.float64,), hint=LINEAR_HINT, gated=True),
                Property("is linear in weight", linear_in(1, "weight"), inputs=linear_conv_inputs, dtypes=(torch.float64,), hint=LINEAR_HINT, gated=True),
                Property(
                    "shifting X by one stride shifts the output by one pixel",
                    shift_equivariant(strides_of_conv),
                    inputs=unpadded_conv_inputs,
                    dtypes=(torch.float64,),
                    hint=SHIFT_HINT,
                    gated=True,
                ),
                Property(
                    "padding adds zeros on all four sides",
                    padding_is_a_frame(lambda call: 0.0),
                    inputs=padded_conv_inputs,
                    dtypes=(torch.float64,),
                    hint="pad ph zero rows above AND below and pw zero columns left AND right",
                    gated=True,
                ),
                Property(
                    "the input channels add up",
                    channels_add(1, 1),
                    inputs=channel_split_conv_inputs,
                    dtypes=(torch.float64,),
                    hint="sum over the input channels (axis 1 of X and of weight), do not average",
                    gated=True,
                ),
                Property(
                    "adds bias[o] to every pixel of output channel o",
                    bias_per_output_channel,
                    inputs=biased_conv_inputs,
                    dtypes=(torch.float64,),
                    hint="reshape the bias to (1, O, 1, 1) before adding it",
                ),
                Property(
                    "output channel o uses only weight[o]",
                    output_channels_follow_kernels(1),
                    dtypes=(torch.float64,),
                    hint="contract weight (O, C, ...) with X (N, C, ...) over C; the output is (N, O, ...)",
                    gated=True,
                ),
            ),
        ),
        Function(
            "pool2d",
            pool2d_inputs,
            points=4,
            reference=reference_pool2d,
            reference_name="F.max_pool2d / F.avg_pool2d",
            efficiency=Efficiency(large_pool2d, factor=20, why="a running maximum or mean over the offsets: within 1.1x; a loop over the 8192 images 150x and more"),
            checks=(
                Property(
                    "has shape (N, C, (H + 2*ph - kh)//sh + 1, (W + 2*pw - kw)//sw + 1)",
                    pool_shape,
                    dtypes=(torch.float32,),
                    hint="kernel_size, stride and padding may each be an int (both axes) or a pair (rows, columns)",
                    gated=True,
                ),
                Property(
                    "stride defaults to kernel_size",
                    default_stride_is_kernel_size,
                    dtypes=(torch.float64,),
                    hint="with stride=None the windows do not overlap, like F.max_pool2d",
                    gated=True,
                ),
                Property(
                    "shifting X by one stride shifts the output by one pixel",
                    shift_equivariant(strides_of_pool),
                    inputs=unpadded_pool_inputs,
                    dtypes=(torch.float64,),
                    hint=SHIFT_HINT,
                    gated=True,
                ),
                Property(
                    "padding adds a frame on all four sides (zeros for avg, -inf for max)",
                    padding_is_a_frame(lambda call: float("-inf") if call.kwargs.get("mode", "max") == "max" else 0.0),
                    inputs=padded_pool_inputs,
                    dtypes=(torch.float64,),
                    hint="avg: padded zeros count in the average (divide by kh*kw); max: pad with -inf so padding never wins",
                    gated=True,
                ),
                Property(
                    "average pooling matches F.avg_pool2d",
                    lambda t: t.assert_close(t.output, t.expected(reference_pool2d), "output for mode='avg'"),
                    inputs=avg_pool_inputs,
                    dtypes=(torch.float64,),
                    hint="divide each window's sum by kh * kw (padded zeros count), like F.avg_pool2d's count_include_pad=True",
                ),
                Property(
                    "max pooling of negative inputs ignores the padding",
                    lambda t: t.assert_close(t.output, t.expected(reference_pool2d), "output for all-negative X"),
                    inputs=negative_max_pool_inputs,
                    dtypes=(torch.float64,),
                    hint="pad with -inf in X's dtype (X.new_full(shape, float('-inf'))), not with 0",
                ),
            ),
        ),
    ),
    forbidden=(
        # convolution and im2col, public and private entry points
        "torch.conv1d", "torch.conv2d", "torch.conv3d", "torch.conv_transpose1d", "torch.conv_transpose2d",
        "torch.conv_transpose3d", "torch.conv_tbc", "torch.convolution", "torch._convolution",
        "torch.cudnn_convolution", "torch.mkldnn_convolution",
        "torch.nn.functional.conv1d", "torch.nn.functional.conv2d", "torch.nn.functional.conv3d",
        "torch.nn.functional.conv_transpose1d", "torch.nn.functional.conv_transpose2d",
        "torch.nn.functional.conv_transpose3d", "torch.nn.functional.conv_tbc",
        "torch.nn.functional.unfold", "torch.nn.functional.fold", "torch.Tensor.unfold",
        "torch.nn.Conv1d", "torch.nn.Conv2d", "torch.nn.Conv3d", "torch.nn.LazyConv2d", "torch.nn.ConvTranspose2d",
        "torch.nn.Unfold", "torch.nn.Fold", "torch.nn.grad",
        # pooling
        "torch.max_pool1d", "torch.max_pool2d", "torch.max_pool3d", "torch.avg_pool1d",
        "torch.max_pool1d_with_indices", "torch.adaptive_max_pool1d", "torch.adaptive_avg_pool1d",
        "torch.nn.functional.max_pool1d", "torch.nn.functional.max_pool2d", "torch.nn.functional.max_pool3d",
        "torch.nn.functional.max_pool2d_with_indices", "torch.nn.functional.avg_pool1d",
        "torch.nn.functional.avg_pool2d", "torch.nn.functional.avg_pool3d",
        "torch.nn.functional.adaptive_max_pool2d", "torch.nn.functional.adaptive_avg_pool2d",
        "torch.nn.functional.lp_pool1d", "torch.nn.functional.lp_pool2d",
        "torch.nn.functional.fractional_max_pool2d",
        "torch.nn.MaxPool1d", "torch.nn.MaxPool2d", "torch.nn.AvgPool1d", "torch.nn.AvgPool2d",
        "torch.nn.AdaptiveMaxPool2d", "torch.nn.AdaptiveAvgPool2d", "torch.nn.LPPool2d",
        # the operator namespaces behind all of the above
        "torch._C", "torch.ops",
    ),
)

test_public = public_tests(ASSIGNMENT)
