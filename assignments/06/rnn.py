"""Assignment 06: recurrent cells and gradient clipping.

One time step of a vanilla RNN, a GRU and an LSTM, with PyTorch's weight layout so that
nn.RNNCell, nn.GRUCell and nn.LSTMCell holding the same weights give the same numbers, and
global-norm gradient clipping like torch.nn.utils.clip_grad_norm_.

Shapes: B = batch size, I = input size, H = hidden size. A weight `w_ih` of shape (G*H, I)
stacks G gate blocks of H rows each (G = 1 for the RNN, 3 for the GRU, 4 for the LSTM);
`x @ w_ih.T` then gives all G pre-activations at once, and `.chunk(G, dim=-1)` splits them.
A bias that is None is simply left out (it is the same as a zero bias).

Do not call the PyTorch cells (nn.RNNCell, nn.GRUCell, nn.LSTMCell, nn.RNN/GRU/LSTM,
torch.rnn_tanh_cell, torch.gru_cell, torch.lstm_cell, ...) nor torch.nn.utils.clip_grad_norm_.
Elementary operations (matmul, sigmoid, tanh, relu, sqrt, sum, clamp, ...) are fine.
"""

import torch


def rnn_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
    nonlinearity: str = "tanh",
) -> torch.Tensor:
    """One step of a vanilla RNN, like nn.RNNCell.

    x (B, I), h (B, H), w_ih (H, I), w_hh (H, H), b_ih (H,) or None, b_hh (H,) or None.

        h' = phi(x W_ih^T + b_ih + h W_hh^T + b_hh),   phi = tanh (default) or relu

    Returns h' of shape (B, H). Any other `nonlinearity` raises ValueError.
    """
    raise NotImplementedError("TODO: implement this function")


def gru_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> torch.Tensor:
    """One step of a GRU, like nn.GRUCell.

    x (B, I), h (B, H), w_ih (3H, I), w_hh (3H, H), b_ih (3H,) or None, b_hh (3H,) or None;
    the three row blocks are, in this order, the reset gate r, the update gate z and the
    candidate n.

        r  = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
        z  = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n  = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h

    PyTorch multiplies r into (h W_hn^T + b_hn); the book multiplies it into h before the
    matrix product. The two differ, and the tests follow PyTorch. Returns h' (B, H).
    """
    raise NotImplementedError("TODO: implement this function")


def lstm_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor | None = None,
    b_hh: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of an LSTM, like nn.LSTMCell (which takes the state as a pair (h, c)).

    x (B, I), h (B, H), c (B, H), w_ih (4H, I), w_hh (4H, H), b_ih (4H,) or None,
    b_hh (4H,) or None; the four row blocks are, in this order, the input gate i, the
    forget gate f, the candidate g and the output gate o.

        i, f, o = sigmoid(...),  g = tanh(...)   (each of x W_i*^T + b_i* + h W_h*^T + b_h*)
        c' = f * c + i * g
        h' = o * tanh(c')

    Returns the pair (h', c'), both (B, H).
    """
    raise NotImplementedError("TODO: implement this function")


def clip_grad_norm(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Rescale a list of gradients so that their global L2 norm is at most `max_norm`.

    grads: a non-empty list of float tensors of any shapes (one dtype and device).

        total_norm = sqrt(sum over every tensor and every element of g^2)
        scale      = min(1, max_norm / (total_norm + 1e-6))
        clipped    = [g * scale for g in grads]

    The norm is global: one scale for all tensors, so the direction of the whole gradient
    is kept. When total_norm is well below max_norm the scale is exactly 1 and the
    gradients come back unchanged. Returns (clipped, total_norm): a new list of new tensors
    (the inputs are not modified, unlike torch.nn.utils.clip_grad_norm_, which works in
    place on .grad) and the norm before clipping as a 0-dim tensor.
    """
    raise NotImplementedError("TODO: implement this function")
