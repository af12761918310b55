"""Hidden tests for assignment 04 (convolution and pooling).

Larger and odder shapes than the public tests draw: kernels up to 5x5, kernels as large as
the (padded) image, strides larger than the kernel or the image, padding larger than the
kernel, 1x1 kernels, more channels, and all-negative inputs for max pooling with padding.
"""

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import conv as solution


@st.composite
def seeded(draw, shape: tuple[int, ...], dtype: torch.dtype, low: float = -2.0, high: float = 2.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1)))
    return low + (high - low) * torch.rand(shape, generator=generator, dtype=dtype)


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    return st.integers(low, high) | st.tuples(st.integers(low, high), st.integers(low, high))


def as_pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


@st.composite
def image_and_kernel(draw, dtype, channels: int, outputs: int):
    """corr2d-family inputs; `channels` / `outputs` 0 leave that axis out."""
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    H, W = kh + draw(st.integers(0, 6)), kw + draw(st.integers(0, 6))
    C, C_out = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    x_shape = ((C,) if channels else ()) + (H, W)
    k_shape = ((C_out,) if outputs else ()) + ((C,) if channels else ()) + (kh, kw)
    return Call((draw(seeded(x_shape, dtype)), draw(seeded(k_shape, dtype))))


@st.composite
def wide_convolutions(draw, dtype):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    N, C, C_out = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride, padding = draw(int_or_pair(1, 5)), draw(int_or_pair(0, 6))
    (ph, pw) = as_pair(padding)
    H, W = max(1, kh - 2 * ph) + draw(st.integers(0, 6)), max(1, kw - 2 * pw) + draw(st.integers(0, 6))
    kwargs = {"stride": stride, "padding": padding}
    if draw(st.booleans()):
        kwargs["bias"] = draw(seeded((C_out,), dtype))
    return Call((draw(seeded((N, C, H, W), dtype)), draw(seeded((C_out, C, kh, kw), dtype))), kwargs)


@st.composite
def wide_pooling(draw, dtype, negative=False):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    kwargs = {"padding": (ph, pw), "mode": "max" if negative else draw(st.sampled_from(["max", "avg"]))}
    stride = draw(st.none() | int_or_pair(1, 5))
    if stride is not None:
        kwargs["stride"] = stride
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    H, W = max(1, kh - 2 * ph) + draw(st.integers(0, 6)), max(1, kw - 2 * pw) + draw(st.integers(0, 6))
    low, high = (-5.0, -0.1) if negative else (-2.0, 2.0)
    return Call((draw(seeded((N, C, H, W), dtype, low, high)), (kh, kw)), kwargs)


HIDDEN = {
    "corr2d": (
        replace_inputs(agrees_with_solution(solution.corr2d), lambda d: image_and_kernel(d, 0, 0), "larger kernels"),
    ),
    "corr2d_multi_in": (
        replace_inputs(agrees_with_solution(solution.corr2d_multi_in), lambda d: image_and_kernel(d, 1, 0), "more channels"),
    ),
    "corr2d_multi_in_out": (
        replace_inputs(agrees_with_solution(solution.corr2d_multi_in_out), lambda d: image_and_kernel(d, 1, 1), "more channels"),
    ),
    "conv2d": (
        replace_inputs(agrees_with_solution(solution.conv2d), wide_convolutions, "large strides and padding"),
    ),
    "pool2d": (
        replace_inputs(agrees_with_solution(solution.pool2d), wide_pooling, "larger windows"),
        replace_inputs(agrees_with_solution(solution.pool2d), lambda d: wide_pooling(d, negative=True), "negative inputs"),
    ),
}
