"""Hidden tests for assignment 06 (recurrent cells and gradient clipping)."""

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import floats, shapes, tensors
from solutions import rnn as solution


@st.composite
def wide_cells(draw, dtype, cell):
    """Larger batches and hidden sizes, inputs large enough to saturate the gates."""
    gates = {"rnn_cell": 1, "gru_cell": 3, "lstm_cell": 4}[cell]
    batch, n_in, n_hidden = draw(st.integers(1, 8)), draw(st.integers(1, 6)), draw(st.integers(1, 8))
    args = [draw(tensors((batch, n_in), dtype, -20, 20)), draw(tensors((batch, n_hidden), dtype, -1, 1))]
    if cell == "lstm_cell":
        args.append(draw(tensors((batch, n_hidden), dtype, -20, 20)))
    args += [draw(tensors((gates * n_hidden, n_in), dtype, -2, 2)), draw(tensors((gates * n_hidden, n_hidden), dtype, -2, 2))]
    kwargs = {}
    if draw(st.booleans()):
        kwargs = {"b_ih": draw(tensors((gates * n_hidden,), dtype, -3, 3)), "b_hh": draw(tensors((gates * n_hidden,), dtype, -3, 3))}
    if cell == "rnn_cell":
        kwargs["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    return Call(tuple(args), kwargs)


def wide(cell):
    def inputs(dtype):
        return wide_cells(dtype, cell)

    return inputs


@st.composite
def odd_gradients(draw, dtype):
    """Scalars, many tensors, large values, integer max_norm, norms close to max_norm."""
    shape = shapes(0, 3, 1, 4)  # 0-dim included; empty tensors do not cross kit.wire yet
    grads = [draw(tensors(shape, dtype, -100, 100)) for _ in range(draw(st.integers(1, 8)))]
    total = float(torch.cat([g.double().reshape(-1) for g in grads]).norm())
    max_norm = draw(
        st.integers(1, 50)
        | floats(torch.float64, 1e-3, 1e3)
        | st.sampled_from([total * 0.999, total * 1.001 + 1e-5, total * 2])
    )
    return Call((grads, max_norm))


HIDDEN = {
    "rnn_cell": (replace_inputs(agrees_with_solution(solution.rnn_cell), wide("rnn_cell"), "wide, saturating cells"),),
    "gru_cell": (replace_inputs(agrees_with_solution(solution.gru_cell), wide("gru_cell"), "wide, saturating cells"),),
    "lstm_cell": (replace_inputs(agrees_with_solution(solution.lstm_cell), wide("lstm_cell"), "wide, saturating cells"),),
    "clip_grad_norm": (replace_inputs(agrees_with_solution(solution.clip_grad_norm), odd_gradients, "scalars and many tensors"),),
}
