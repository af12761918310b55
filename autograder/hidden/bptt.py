"""Hidden tests for assignment 07 (backpropagation through time)."""

from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import tensors
from solutions import bptt as solution


@st.composite
def long_sequences(draw, dtype, with_dH=True):
    """Up to 16 steps, wider layers, weights large enough to saturate the tanh."""
    steps, batch, n_in, n_hidden = draw(st.integers(1, 16)), draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    args = (
        draw(tensors((steps, batch, n_in), dtype, -4, 4)),
        draw(tensors((batch, n_hidden), dtype, -1, 1)),
        draw(tensors((n_hidden, n_in), dtype, -2, 2)),
        draw(tensors((n_hidden, n_hidden), dtype, -2, 2)),
        draw(tensors((n_hidden,), dtype, -2, 2)),
        draw(tensors((n_hidden,), dtype, -2, 2)),
    )
    if not with_dH:
        return Call(args)
    dH = draw(tensors((steps, batch, n_hidden), dtype, -2, 2))
    truncate = draw(st.none() | st.integers(1, steps + 2))
    return Call((*args, dH), {"truncate": truncate})


def long_forward(dtype):
    return long_sequences(dtype, with_dH=False)


HIDDEN = {
    "rnn_forward": (replace_inputs(agrees_with_solution(solution.rnn_forward, conditioned=True), long_forward, "long sequences"),),
    "rnn_backward": (
        replace_inputs(agrees_with_solution(solution.rnn_backward, conditioned=True), long_sequences, "long sequences, full and truncated"),
    ),
}
