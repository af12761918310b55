"""Assignment 07: backpropagation through time, by hand.

A one-layer tanh RNN run over a whole sequence (like nn.RNN), and its gradients computed
with the BPTT recurrences instead of autograd, in full or truncated to chunks of k steps.

Shapes: T = sequence length, B = batch size, I = input size, H = hidden size.
X (T, B, I), h0 (B, H), w_ih (H, I), w_hh (H, H), b_ih (H,), b_hh (H,): PyTorch's layout.

These functions are graded under torch.inference_mode(): autograd is unavailable, so do
not use .backward(), torch.autograd, requires_grad or torch.func. Elementary operations
(matmul, tanh, sum, zeros_like, stack, ...) and Python loops over time steps are fine.
"""

import torch


def rnn_forward(
    X: torch.Tensor,
    h0: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> torch.Tensor:
    """Every hidden state of a tanh RNN over the sequence X, like nn.RNN's output.

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   t = 1..T, starting from h0

    Returns H of shape (T, B, H) with H[t - 1] = h_t (h0 itself is not included).
    """
    raise NotImplementedError("TODO: implement this function")


def rnn_backward(
    X: torch.Tensor,
    h0: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    dH: torch.Tensor,
    truncate: int | None = None,
) -> dict[str, torch.Tensor]:
    """Gradients of L = (H * dH).sum() with H = rnn_forward(...), by backpropagation through time.

    dH (T, B, H) is dL/dh_t supplied from above (e.g. by an output layer). Going backwards,
    with g_t the total gradient reaching h_t:

        g_T   = dH_T
        a_t   = g_t * (1 - h_t^2)                    (through the tanh: h_t = tanh(z_t))
        dW_ih += a_t^T x_t,   dW_hh += a_t^T h_{t-1},   db_ih += sum_b a_t,   db_hh += sum_b a_t
        dx_t  = a_t W_ih
        g_{t-1} = dH_{t-1} + a_t W_hh                (the recurrent path)

    and dL/dh0 = a_1 W_hh. With `truncate=k` the sequence is cut into chunks of k steps
    (steps 1..k, k+1..2k, ...; the last may be shorter) and the hidden state is detached
    between chunks: at a chunk's first step the recurrent term a_t W_hh is dropped, so no
    gradient crosses a boundary, and "h0" only gets the first chunk's gradient. The weight
    gradients still use every h_{t-1} as a value.

    Returns a dict with keys "X", "h0", "w_ih", "w_hh", "b_ih", "b_hh", each shaped like
    that argument.
    """
    raise NotImplementedError("TODO: implement this function")
