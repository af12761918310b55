"""Honest rewrites of assignment 07 (backpropagation through time, by hand)."""

from mutants import Mutant

HONEST = [
    # the input projections of every time step in one product, the two biases summed once
    Mutant("07", "bptt", "rnn_forward", "inputs_projected_at_once",
           "    for x in X:\n        h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)\n",
           "    projected = torch.einsum(\"tbi,hi->tbh\", X, w_ih) + (b_ih + b_hh)\n"
           "    for step in range(X.shape[0]):\n        h = torch.tanh(projected[step] + h @ w_hh.T)\n"),
    # the weight gradients summed over time after the loop, by einsum over every step at once
    Mutant("07", "bptt", "rnn_backward", "weight_gradients_by_einsum",
           "    dw_ih, dw_hh = torch.zeros_like(w_ih), torch.zeros_like(w_hh)\n"
           "    db_ih, db_hh = torch.zeros_like(b_ih), torch.zeros_like(b_hh)\n"
           "    dh0 = torch.zeros_like(h0)\n"
           "    carry = torch.zeros_like(h0)  # gradient reaching h_t from step t + 1\n"
           "    for t in reversed(range(steps)):\n"
           "        h_prev = H[t - 1] if t > 0 else h0\n"
           "        g = dH[t] + carry\n"
           "        a = g * (1 - H[t] ** 2)\n"
           "        dX[t] = a @ w_ih\n"
           "        dw_ih = dw_ih + a.T @ X[t]\n"
           "        dw_hh = dw_hh + a.T @ h_prev\n"
           "        db_ih = db_ih + a.sum(0)\n"
           "        db_hh = db_hh + a.sum(0)\n"
           "        back = a @ w_hh  # gradient reaching h_{t-1} through step t\n"
           "        if t % chunk == 0:  # step t opens a chunk: its incoming state is h0 or detached\n"
           "            if t == 0:\n"
           "                dh0 = back\n"
           "            back = torch.zeros_like(back)\n"
           "        carry = back\n"
           '    return {"X": torch.stack(dX), "h0": dh0, "w_ih": dw_ih, "w_hh": dw_hh, "b_ih": db_ih, "b_hh": db_hh}\n',
           "    A = torch.zeros_like(H)  # a_t of every step\n"
           "    dh0 = torch.zeros_like(h0)\n"
           "    carry = torch.zeros_like(h0)  # gradient reaching h_t from step t + 1\n"
           "    for t in reversed(range(steps)):\n"
           "        g = dH[t] + carry\n"
           "        a = g * (1 - H[t] ** 2)\n"
           "        dX[t] = a @ w_ih\n"
           "        A[t] = a\n"
           "        back = a @ w_hh  # gradient reaching h_{t-1} through step t\n"
           "        if t % chunk == 0:  # step t opens a chunk: its incoming state is h0 or detached\n"
           "            if t == 0:\n"
           "                dh0 = back\n"
           "            back = torch.zeros_like(back)\n"
           "        carry = back\n"
           "    previous = torch.cat([h0[None], H[:-1]])  # h_{t-1} for every t\n"
           '    dw_ih = torch.einsum("tbh,tbi->hi", A, X)\n'
           '    dw_hh = torch.einsum("tbh,tbk->hk", A, previous)\n'
           "    db_ih, db_hh = A.sum(dim=(0, 1)), A.sum(dim=(0, 1))\n"
           '    return {"X": torch.stack(dX), "h0": dh0, "w_ih": dw_ih, "w_hh": dw_hh, "b_ih": db_ih, "b_hh": db_hh}\n'),
    # tanh's derivative factored, 1 - h^2 = (1 - h)(1 + h): more accurate near |h| = 1
    Mutant("07", "bptt", "rnn_backward", "tanh_derivative_factored",
           "a = g * (1 - H[t] ** 2)", "a = g * ((1 - H[t]) * (1 + H[t]))"),
    # in float64, every gradient cast back (the float64 call is this same function)
    Mutant("07", "bptt", "rnn_backward", "float64_inside",
           "    H = rnn_forward(X, h0, w_ih, w_hh, b_ih, b_hh)\n",
           "    if X.dtype != torch.float64:\n"
           "        wide = (t.double() for t in (X, h0, w_ih, w_hh, b_ih, b_hh, dH))\n"
           "        return {k: v.to(X.dtype) for k, v in rnn_backward(*wide, truncate=truncate).items()}\n"
           "    H = rnn_forward(X, h0, w_ih, w_hh, b_ih, b_hh)\n"),
]
