"""Honest rewrites of assignment 06 (recurrent cells and gradient clipping)."""

from mutants import Mutant

HONEST = [
    Mutant("06", "rnn", "rnn_cell", "einsum",
           "pre = x @ w_ih.T + h @ w_hh.T", 'pre = torch.einsum("bi,hi->bh", x, w_ih) + torch.einsum("bk,hk->bh", h, w_hh)'),
    # d2l's concatenated form: [x, h] @ [W_ih, W_hh]^T, one matrix product
    Mutant("06", "rnn", "rnn_cell", "concatenated",
           "pre = x @ w_ih.T + h @ w_hh.T", "pre = torch.cat([x, h], dim=1) @ torch.cat([w_ih, w_hh], dim=1).T"),
    # one gate at a time, each from its own row block, through a helper function
    Mutant("06", "rnn", "gru_cell", "gate_by_gate_helper",
           "    from_x, from_h = x @ w_ih.T, h @ w_hh.T\n"
           "    if b_ih is not None:\n        from_x = from_x + b_ih\n"
           "    if b_hh is not None:\n        from_h = from_h + b_hh\n"
           "    x_r, x_z, x_n = from_x.chunk(3, dim=-1)\n    h_r, h_z, h_n = from_h.chunk(3, dim=-1)\n",
           "    hidden = h.shape[1]\n\n"
           "    def affine(v: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, gate: int) -> torch.Tensor:\n"
           "        rows = slice(gate * hidden, (gate + 1) * hidden)\n"
           "        out = v @ w[rows].T\n"
           "        return out if b is None else out + b[rows]\n\n"
           "    x_r, x_z, x_n = (affine(x, w_ih, b_ih, gate) for gate in range(3))\n"
           "    h_r, h_z, h_n = (affine(h, w_hh, b_hh, gate) for gate in range(3))\n"),
    # h' = n + z * (h - n), the book's interpolation rearranged
    Mutant("06", "rnn", "gru_cell", "interpolation", "return (1 - z) * n + z * h", "return n + z * (h - n)"),
    # sigmoid written out as 1 / (1 + exp(-x)), and addmm with the summed bias
    Mutant("06", "rnn", "lstm_cell", "sigmoid_by_hand",
           "    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)\n",
           "    i, f, g, o = 1 / (1 + torch.exp(-i)), 1 / (1 + torch.exp(-f)), torch.tanh(g), 1 / (1 + torch.exp(-o))\n"),
    # the norm of one long vector, in float64; the scale chosen by torch.where
    Mutant("06", "rnn", "clip_grad_norm", "float64_norm_and_where",
           "    total_norm = torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()\n"
           "    scale = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)\n",
           "    flat = torch.cat([g.reshape(-1).double() for g in grads])\n"
           "    total_norm = torch.linalg.vector_norm(flat).to(grads[0].dtype)\n"
           "    ratio = max_norm / (total_norm + 1e-6)\n"
           "    scale = torch.where(ratio < 1, ratio, torch.ones_like(ratio))\n"),
]
