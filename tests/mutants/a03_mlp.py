"""Wrong implementations of assignment 03 (MLP, dropout, weight decay)."""

from mutants import Mutant

MUTANTS = [
    # relu
    Mutant("03", "mlp", "relu", "leaky", "return X.clamp(min=0.0)", "return torch.where(X > 0, X, 0.01 * X)"),
    Mutant("03", "mlp", "relu", "abs", "return X.clamp(min=0.0)", "return X.abs()"),
    Mutant("03", "mlp", "relu", "mask_multiply_nan_at_minus_inf", "return X.clamp(min=0.0)", "return X * (X > 0)"),
    Mutant("03", "mlp", "relu", "in_place", "return X.clamp(min=0.0)", "return X.clamp_(min=0.0)"),
    Mutant("03", "mlp", "relu", "hard_coded_cpu_zeros", "return X.clamp(min=0.0)",
           "return torch.maximum(X, torch.zeros(X.shape, dtype=X.dtype))", caught_by="meta"),
    # dropout
    Mutant("03", "mlp", "dropout", "scales_by_keep_prob", "return X * keep / (1.0 - p)", "return X * keep * (1.0 - p)"),
    Mutant("03", "mlp", "dropout", "no_rescaling", "return X * keep / (1.0 - p)", "return X * keep"),
    Mutant("03", "mlp", "dropout", "drops_in_eval_mode", "if not training or p == 0.0:", "if p == 0.0:"),
    Mutant("03", "mlp", "dropout", "gaussian_mask", "torch.rand_like(X) >= p", "torch.randn_like(X) >= p"),
    Mutant("03", "mlp", "dropout", "keeps_with_probability_p", "torch.rand_like(X) >= p", "torch.rand_like(X) < p"),
    Mutant("03", "mlp", "dropout", "nan_for_p_one", "    if p == 1.0:\n        return torch.zeros_like(X)\n", ""),
    Mutant("03", "mlp", "dropout", "casts_to_float32", "return X * keep / (1.0 - p)", "return X.float() * keep / (1.0 - p)"),
    Mutant("03", "mlp", "dropout", "hard_coded_cpu_mask", "torch.rand_like(X) >= p", "torch.rand(X.shape) >= p", caught_by="meta"),
    Mutant("03", "mlp", "dropout", "seeds_inside", "keep = torch.rand_like(X) >= p",
           "torch.manual_seed(0)\n    keep = torch.rand_like(X) >= p"),
    Mutant("03", "mlp", "dropout", "modifies_X_in_place", "return X * keep / (1.0 - p)", "return X.mul_(keep).div_(1.0 - p)"),
    # l2_penalty
    Mutant("03", "mlp", "l2_penalty", "forgets_half", "for w in params) / 2", "for w in params)"),
    Mutant("03", "mlp", "l2_penalty", "norm_not_squared", "w.pow(2).sum()", "w.norm()"),
    Mutant("03", "mlp", "l2_penalty", "mean_of_squares", "w.pow(2).sum()", "w.pow(2).mean()"),
    Mutant("03", "mlp", "l2_penalty", "l1_penalty", "w.pow(2).sum()", "w.abs().sum()"),
    Mutant("03", "mlp", "l2_penalty", "first_tensor_only", "sum(w.pow(2).sum() for w in params)", "params[0].pow(2).sum()"),
    # mlp_forward
    Mutant("03", "mlp", "mlp_forward", "relu_on_last_layer", "H = H @ W + b", "H = relu(H @ W + b)"),
    Mutant("03", "mlp", "mlp_forward", "dropout_on_logits", "    return H\n", "    return dropout(H, dropout_p, training)\n"),
    Mutant("03", "mlp", "mlp_forward", "dropout_on_input", "H = X\n", "H = dropout(X, dropout_p, training)\n"),
    Mutant("03", "mlp", "mlp_forward", "no_dropout", "H = dropout(relu(H), dropout_p, training)", "H = relu(H)"),
    Mutant("03", "mlp", "mlp_forward", "dropout_in_eval_mode", "dropout(relu(H), dropout_p, training)", "dropout(relu(H), dropout_p, True)"),
    Mutant("03", "mlp", "mlp_forward", "nn_linear_weight_layout", "H = H @ W + b", "H = H @ W.T + b"),
    Mutant("03", "mlp", "mlp_forward", "dropout_only_after_first_layer", "H = dropout(relu(H), dropout_p, training)",
           "H = dropout(relu(H), dropout_p, training) if i == 0 else relu(H)"),
]

# Python loops over the rows: correct values, but a few torch calls of their own per row.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("03", "mlp", "relu", "relu_loop_over_rows",
           "return X.clamp(min=0.0)", "return torch.stack([row.clamp(min=0.0) for row in X.reshape(-1, X.shape[-1])]).reshape(X.shape)"),
    Mutant("03", "mlp", "dropout", "dropout_loop_over_rows",
           "keep = torch.rand_like(X) >= p  # P(rand >= p) = 1 - p",
           "keep = torch.stack([torch.rand_like(row) >= p for row in X.reshape(-1, X.shape[-1])]).reshape(X.shape)"),
    Mutant("03", "mlp", "l2_penalty", "l2_penalty_loop_over_rows",
           "return sum(w.pow(2).sum() for w in params) / 2",
           "return sum(row.pow(2).sum() for w in params for row in w.reshape(-1, w.shape[-1] if w.dim() else 1)) / 2"),
    Mutant("03", "mlp", "mlp_forward", "mlp_forward_loop_over_examples",
           "    H = X\n    for i, (W, b) in enumerate(params):\n        H = H @ W + b\n        if i < len(params) - 1:\n"
           "            H = dropout(relu(H), dropout_p, training)\n    return H",
           "    rows = []\n    for x in X:  # one example at a time\n        H = x[None]\n        for i, (W, b) in enumerate(params):\n"
           "            H = H @ W + b\n            if i < len(params) - 1:\n                H = dropout(relu(H), dropout_p, training)\n"
           "        rows.append(H[0])\n    return torch.stack(rows)"),
]
MUTANTS += LOOPS

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py): the CPU
# tests skip them and check that they pass every CPU check; benchmarks/device_check.py asserts them caught on a GPU.
CUDA_ONLY = [
    # the mask drawn from torch.default_generator, the CPU's global generator: the same draws as torch.rand_like on the
    # CPU, ignored on meta; "Expected a 'cuda' device type for generator" on CUDA ("runs on CUDA" fails)
    Mutant("03", "mlp", "dropout", "cpu_generator_mask", "torch.rand_like(X) >= p",
           "torch.rand(X.shape, dtype=X.dtype, device=X.device, generator=torch.default_generator) >= p", caught_by="cuda"),
]
