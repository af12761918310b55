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
    ### BEGIN SOLUTION
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}")
    pre = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        pre = pre + b_ih
    if b_hh is not None:
        pre = pre + b_hh
    return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    from_x, from_h = x @ w_ih.T, h @ w_hh.T
    if b_ih is not None:
        from_x = from_x + b_ih
    if b_hh is not None:
        from_h = from_h + b_hh
    x_r, x_z, x_n = from_x.chunk(3, dim=-1)
    h_r, h_z, h_n = from_h.chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    gates = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        gates = gates + b_ih
    if b_hh is not None:
        gates = gates + b_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_next = f * c + i * g
    h_next = o * torch.tanh(c_next)
    return h_next, c_next
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    total_norm = torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()
    scale = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    return [g * scale for g in grads], total_norm
    ### END SOLUTION
