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
    ### BEGIN SOLUTION
    h = h0
    states = []
    for x in X:
        h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        states.append(h)
    return torch.stack(states)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    H = rnn_forward(X, h0, w_ih, w_hh, b_ih, b_hh)
    steps = X.shape[0]
    chunk = steps if truncate is None else truncate
    dX = [torch.zeros_like(x) for x in X]
    dw_ih, dw_hh = torch.zeros_like(w_ih), torch.zeros_like(w_hh)
    db_ih, db_hh = torch.zeros_like(b_ih), torch.zeros_like(b_hh)
    dh0 = torch.zeros_like(h0)
    carry = torch.zeros_like(h0)  # gradient reaching h_t from step t + 1
    for t in reversed(range(steps)):
        h_prev = H[t - 1] if t > 0 else h0
        g = dH[t] + carry
        a = g * (1 - H[t] ** 2)
        dX[t] = a @ w_ih
        dw_ih = dw_ih + a.T @ X[t]
        dw_hh = dw_hh + a.T @ h_prev
        db_ih = db_ih + a.sum(0)
        db_hh = db_hh + a.sum(0)
        back = a @ w_hh  # gradient reaching h_{t-1} through step t
        if t % chunk == 0:  # step t opens a chunk: its incoming state is h0 or detached
            if t == 0:
                dh0 = back
            back = torch.zeros_like(back)
        carry = back
    return {"X": torch.stack(dX), "h0": dh0, "w_ih": dw_ih, "w_hh": dw_hh, "b_ih": db_ih, "b_hh": db_hh}
    ### END SOLUTION
