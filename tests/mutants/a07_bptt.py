"""Wrong implementations of assignment 07 (backpropagation through time)."""

from mutants import Mutant

AUTOGRAD_BACKWARD = '''leaves = [v.detach().clone().requires_grad_() for v in (X, h0, w_ih, w_hh, b_ih, b_hh)]
    with torch.enable_grad():
        h, states = leaves[1], []
        for t in range(X.shape[0]):
            if truncate is not None and t > 0 and t % truncate == 0:
                h = h.detach()
            h = torch.tanh(leaves[0][t] @ leaves[2].T + leaves[4] + h @ leaves[3].T + leaves[5])
            states.append(h)
        (torch.stack(states) * dH).sum().backward()
    return dict(zip(("X", "h0", "w_ih", "w_hh", "b_ih", "b_hh"), (v.grad for v in leaves)))
    H = rnn_forward(X, h0, w_ih, w_hh, b_ih, b_hh)'''

MUTANTS = [
    # rnn_forward
    Mutant("07", "bptt", "rnn_forward", "h0_at_every_step",
           "h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)", "h = torch.tanh(x @ w_ih.T + b_ih + h0 @ w_hh.T + b_hh)"),
    Mutant("07", "bptt", "rnn_forward", "states_shifted_by_one",
           "return torch.stack(states)", "return torch.stack([h0] + states[:-1])"),
    Mutant("07", "bptt", "rnn_forward", "b_hh_missing",
           "h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)", "h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T)"),
    Mutant("07", "bptt", "rnn_forward", "sequence_reversed",
           "for x in X:", "for x in X.flip(0):"),
    # rnn_backward: the mistakes of the brief
    Mutant("07", "bptt", "rnn_backward", "no_tanh_derivative",
           "a = g * (1 - H[t] ** 2)", "a = g"),
    Mutant("07", "bptt", "rnn_backward", "no_recurrent_path",
           "g = dH[t] + carry", "g = dH[t]"),
    Mutant("07", "bptt", "rnn_backward", "leaks_across_chunks",
           "back = torch.zeros_like(back)", "back = back"),
    Mutant("07", "bptt", "rnn_backward", "h0_gradient_from_last_chunk",
           "if t == 0:", "if t == (steps - 1) // chunk * chunk:"),
    Mutant("07", "bptt", "rnn_backward", "h0_gradient_summed_over_chunks",
           "            if t == 0:\n                dh0 = back\n", "            dh0 = dh0 + back\n"),
    Mutant("07", "bptt", "rnn_backward", "autograd_inside",
           "H = rnn_forward(X, h0, w_ih, w_hh, b_ih, b_hh)", AUTOGRAD_BACKWARD),
    # rnn_backward: other plausible ones
    Mutant("07", "bptt", "rnn_backward", "tanh_derivative_at_previous_state",
           "a = g * (1 - H[t] ** 2)", "a = g * (1 - h_prev ** 2)"),
    Mutant("07", "bptt", "rnn_backward", "w_hh_gradient_uses_current_state",
           "dw_hh = dw_hh + a.T @ h_prev", "dw_hh = dw_hh + a.T @ H[t]"),
    Mutant("07", "bptt", "rnn_backward", "b_hh_gradient_missing",
           "db_hh = db_hh + a.sum(0)", "db_hh = db_hh"),
    Mutant("07", "bptt", "rnn_backward", "only_last_step_loss",
           "g = dH[t] + carry", "g = (dH[t] if t == steps - 1 else 0) + carry"),
    Mutant("07", "bptt", "rnn_backward", "recurrent_path_through_w_hh_transposed",
           "back = a @ w_hh  #", "back = a @ w_hh.T  #"),
    Mutant("07", "bptt", "rnn_backward", "loops_forward_in_time",
           "for t in reversed(range(steps)):", "for t in range(steps):"),
    Mutant("07", "bptt", "rnn_backward", "chunks_counted_from_the_end",
           "if t % chunk == 0:", "if (steps - t) % chunk == 0:"),
]

# Python loops over the batch (the loop over time steps is the intended one): correct values, but
# a few torch calls per sequence and step. The efficiency check (kit.spec.Efficiency) catches them.
LOOPS = [
    Mutant("07", "bptt", "rnn_forward", "rnn_forward_loop_over_batch",
           "        h = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)",
           "        h = torch.stack([torch.tanh(x[n] @ w_ih.T + b_ih + h[n] @ w_hh.T + b_hh) for n in range(x.shape[0])])"),
    Mutant("07", "bptt", "rnn_backward", "rnn_backward_loop_over_batch",
           "        dw_ih = dw_ih + a.T @ X[t]\n        dw_hh = dw_hh + a.T @ h_prev",
           "        for n in range(a.shape[0]):  # one sequence at a time\n"
           "            dw_ih = dw_ih + torch.outer(a[n], X[t][n])\n            dw_hh = dw_hh + torch.outer(a[n], h_prev[n])"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # the states handed back on the CPU: a no-op on the CPU, a tensor on the wrong device on CUDA, an error on meta
    Mutant("07", "bptt", "rnn_forward", "states_moved_to_the_cpu", "return torch.stack(states)",
           "return torch.stack(states).cpu()", caught_by="meta"),
]
