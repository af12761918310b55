"""Hidden tests for assignment 14 (modern CNN blocks)."""

from hypothesis import strategies as st

from kit.calls import Call
from kit.catalog import load_module, public_test_file
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import blocks as solution

# the public test file's parameter makers, so that hidden inputs are built exactly like the public ones
_public = load_module(public_test_file("14"), "kit_hidden_inputs_14")
conv_params, dense_params, images = _public.conv_params, _public.dense_params, _public.images
inception_params, residual_params, transition_params = _public.inception_params, _public.residual_params, _public.transition_params
enough_for_training, generator = _public.enough_for_training, _public.generator


@st.composite
def large_or_flat_images(draw, dtype):
    """global_avg_pool2d on wide images (up to 16 x 16) and on single rows, columns or pixels."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    h, w = draw(st.sampled_from([(1, 1), (1, 7), (9, 1), (16, 16), (5, 13)]))
    return Call((images(generator(draw), (n, c, h, w), dtype),))


@st.composite
def nin_edge_cases(draw, dtype):
    """Kernels up to 5 x 5 that exactly cover the padded image (a 1 x 1 output), wider channels, pairs of stride and padding."""
    g = generator(draw)
    n, c, o, k = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 5))
    padding = draw(st.integers(0, 2) | st.tuples(st.integers(0, 2), st.integers(0, 2)))
    stride = draw(st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    h, w = max(1, k - 2 * ph) + draw(st.integers(0, 1)), max(1, k - 2 * pw) + draw(st.integers(0, 6))
    params = {**conv_params(g, "0", o, c, k, dtype), **conv_params(g, "2", o, o, 1, dtype), **conv_params(g, "4", o, o, 1, dtype)}
    return Call((images(g, (n, c, h, w), dtype), params, stride, padding))


@st.composite
def inception_edge_cases(draw, dtype):
    """Single pixels, single rows (the pooling window is mostly padding) and wider paths, mixed-sign or all-negative images."""
    g = generator(draw)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 5))
    h, w = draw(st.sampled_from([(1, 1), (1, 6), (2, 2), (7, 3)]))
    widths = [draw(st.integers(1, 5)) for _ in range(6)]
    params = inception_params(g, c, widths[0], tuple(widths[1:3]), tuple(widths[3:5]), widths[5], dtype)
    return Call((images(g, (n, c, h, w), dtype, negative=draw(st.booleans())), params))


@st.composite
def residual_edge_cases(draw, dtype):
    """Strides 1 to 3 on odd and tiny images (a 1 x 1 output), wider channels, batches of one image in eval mode."""
    g = generator(draw)
    training = draw(st.booleans())
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    conv3 = draw(st.booleans())
    o, stride = (draw(st.integers(1, 6)), draw(st.integers(1, 3))) if conv3 else (c, 1)
    n = draw(st.integers(1, 2))
    if training:
        n = enough_for_training(n, ((h - 1) // stride + 1) * ((w - 1) // stride + 1))
    return Call((images(g, (n, c, h, w), dtype), residual_params(g, c, o, conv3, dtype)), {"stride": stride, "training": training})


@st.composite
def dense_edge_cases(draw, dtype):
    """One to four conv blocks, growth rates 1 to 4, single pixels and non-square images."""
    g = generator(draw)
    training = draw(st.booleans())
    num_convs, growth = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    c, h, w = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    n = draw(st.integers(1, 2))
    if training:
        n = enough_for_training(n, h * w)
    return Call((images(g, (n, c, h, w), dtype), dense_params(g, c, growth, num_convs, dtype), num_convs), {"training": training})


@st.composite
def transition_edge_cases(draw, dtype):
    """Odd and 2-wide images, more output than input channels, batches of one image."""
    g = generator(draw)
    training = draw(st.booleans())
    c, o = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    h, w = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    n = draw(st.integers(1, 2))
    if training:
        n = enough_for_training(n, h * w)
    return Call((images(g, (n, c, h, w), dtype), transition_params(g, c, o, dtype)), {"training": training})


@st.composite
def large_running_statistics(draw, dtype):
    """A transition layer whose running statistics are far from the batch's (means of +-20, variances up to 50)."""
    g = generator(draw)
    c, o, n, h, w = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(2, 3)), draw(st.integers(2, 4)), draw(st.integers(2, 4))
    params = transition_params(g, c, o, dtype)
    params["0.running_mean"] = params["0.running_mean"] * 40
    params["0.running_var"] = params["0.running_var"] * 25
    return Call((images(g, (n, c, h, w), dtype) * 3, params), {"training": draw(st.booleans())})


HIDDEN = {
    "global_avg_pool2d": (replace_inputs(agrees_with_solution(solution.global_avg_pool2d), large_or_flat_images, "wide, flat and single-pixel images"),),
    "nin_block": (replace_inputs(agrees_with_solution(solution.nin_block), nin_edge_cases, "kernels covering the padded image, pairs of stride and padding"),),
    "inception_block": (replace_inputs(agrees_with_solution(solution.inception_block), inception_edge_cases, "single pixels, single rows and wider paths"),),
    "residual_block": (replace_inputs(agrees_with_solution(solution.residual_block), residual_edge_cases, "strides up to 3 and tiny images"),),
    "dense_block": (replace_inputs(agrees_with_solution(solution.dense_block), dense_edge_cases, "up to four conv blocks and single pixels"),),
    "transition_block": (
        replace_inputs(agrees_with_solution(solution.transition_block), transition_edge_cases, "odd sizes and single images"),
        replace_inputs(agrees_with_solution(solution.transition_block), large_running_statistics, "running statistics far from the batch's"),
    ),
}
