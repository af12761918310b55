"""Wrong implementations of assignment 06 (recurrent cells and gradient clipping)."""

from mutants import Mutant

MUTANTS = [
    # rnn_cell
    Mutant("06", "rnn", "rnn_cell", "relu_ignored",
           'return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)', "return torch.tanh(pre)"),
    Mutant("06", "rnn", "rnn_cell", "weights_not_transposed",
           "pre = x @ w_ih.T + h @ w_hh.T", "pre = x @ w_ih.T + h @ w_hh"),
    Mutant("06", "rnn", "rnn_cell", "one_none_drops_both_biases",
           "    if b_ih is not None:\n        pre = pre + b_ih\n    if b_hh is not None:\n        pre = pre + b_hh\n",
           "    if b_ih is not None and b_hh is not None:\n        pre = pre + b_ih + b_hh\n"),
    Mutant("06", "rnn", "rnn_cell", "no_value_error",
           '    if nonlinearity not in ("tanh", "relu"):\n        raise ValueError(f"unknown nonlinearity {nonlinearity!r}")\n', ""),
    Mutant("06", "rnn", "rnn_cell", "hard_coded_cpu",
           "pre = x @ w_ih.T + h @ w_hh.T", "pre = x @ w_ih.T + h @ w_hh.T + torch.zeros(1, dtype=x.dtype, device='cpu')", caught_by="meta"),
    # gru_cell
    Mutant("06", "rnn", "gru_cell", "r_and_z_swapped",
           "x_r, x_z, x_n = from_x.chunk(3, dim=-1)\n    h_r, h_z, h_n = from_h.chunk(3, dim=-1)",
           "x_z, x_r, x_n = from_x.chunk(3, dim=-1)\n    h_z, h_r, h_n = from_h.chunk(3, dim=-1)"),
    Mutant("06", "rnn", "gru_cell", "reset_gate_book_placement",
           "n = torch.tanh(x_n + r * h_n)",
           "w_hn = w_hh[2 * h.shape[-1]:]\n    b_hn = 0 if b_hh is None else b_hh[2 * h.shape[-1]:]\n"
           "    n = torch.tanh(x_n + (r * h) @ w_hn.T + b_hn)"),
    Mutant("06", "rnn", "gru_cell", "update_mix_reversed",
           "return (1 - z) * n + z * h", "return z * n + (1 - z) * h"),
    Mutant("06", "rnn", "gru_cell", "reset_gate_ignored",
           "n = torch.tanh(x_n + r * h_n)", "n = torch.tanh(x_n + h_n)"),
    # lstm_cell
    Mutant("06", "rnn", "lstm_cell", "i_and_f_swapped",
           "i, f, g, o = gates.chunk(4, dim=-1)", "f, i, g, o = gates.chunk(4, dim=-1)"),
    Mutant("06", "rnn", "lstm_cell", "no_tanh_on_cell_output",
           "h_next = o * torch.tanh(c_next)", "h_next = o * c_next"),
    Mutant("06", "rnn", "lstm_cell", "gates_in_keras_order",
           "i, f, g, o = gates.chunk(4, dim=-1)", "i, f, o, g = gates.chunk(4, dim=-1)"),
    Mutant("06", "rnn", "lstm_cell", "sigmoid_candidate",
           "torch.tanh(g), torch.sigmoid(o)", "torch.sigmoid(g), torch.sigmoid(o)"),
    Mutant("06", "rnn", "lstm_cell", "returns_c_then_h",
           "return h_next, c_next", "return c_next, h_next"),
    # clip_grad_norm
    Mutant("06", "rnn", "clip_grad_norm", "per_tensor_norm",
           "return [g * scale for g in grads], total_norm",
           "return [g * torch.clamp(max_norm / (g.pow(2).sum().sqrt() + 1e-6), max=1.0) for g in grads], total_norm"),
    Mutant("06", "rnn", "clip_grad_norm", "clips_below_max_norm",
           "scale = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)", "scale = max_norm / (total_norm + 1e-6)"),
    Mutant("06", "rnn", "clip_grad_norm", "no_epsilon",
           "torch.clamp(max_norm / (total_norm + 1e-6)", "torch.clamp(max_norm / total_norm"),
    Mutant("06", "rnn", "clip_grad_norm", "squared_norm",
           "torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()", "torch.stack([g.pow(2).sum() for g in grads]).sum()"),
    Mutant("06", "rnn", "clip_grad_norm", "in_place",
           "return [g * scale for g in grads]", "return [g.mul_(scale) for g in grads]"),
    Mutant("06", "rnn", "clip_grad_norm", "returns_clipped_norm",
           "], total_norm\n", "], total_norm * scale\n"),
    Mutant("06", "rnn", "clip_grad_norm", "divides_by_norm",
           "return [g * scale for g in grads], total_norm",
           "return [g / total_norm * torch.clamp(total_norm, max=max_norm) for g in grads], total_norm"),
    Mutant("06", "rnn", "clip_grad_norm", "python_float_norm",
           "], total_norm\n", "], total_norm.item()\n"),
]

# Python loops over the batch: correct values, but a few torch calls of their own per row.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("06", "rnn", "rnn_cell", "rnn_cell_loop_over_batch",
           "    pre = x @ w_ih.T + h @ w_hh.T", "    pre = torch.stack([x[n] @ w_ih.T + h[n] @ w_hh.T for n in range(x.shape[0])])"),
    Mutant("06", "rnn", "gru_cell", "gru_cell_loop_over_batch",
           "    from_x, from_h = x @ w_ih.T, h @ w_hh.T",
           "    from_x = torch.stack([row @ w_ih.T for row in x])  # one example at a time\n    from_h = torch.stack([row @ w_hh.T for row in h])"),
    Mutant("06", "rnn", "lstm_cell", "lstm_cell_loop_over_batch",
           "    gates = x @ w_ih.T + h @ w_hh.T", "    gates = torch.stack([x[n] @ w_ih.T + h[n] @ w_hh.T for n in range(x.shape[0])])"),
    Mutant("06", "rnn", "clip_grad_norm", "clip_grad_norm_loop_over_rows",
           "    total_norm = torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()",
           "    total_norm = torch.stack([row.pow(2).sum() for g in grads for row in g.reshape(-1, g.shape[-1] if g.dim() else 1)]).sum().sqrt()"),
]
MUTANTS += LOOPS
