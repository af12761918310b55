"""Honest rewrites of assignment 03 (multilayer perceptron, dropout and weight decay)."""

from mutants import Mutant

HONEST = [
    Mutant("03", "mlp", "relu", "relu_where", "return X.clamp(min=0.0)", "return torch.where(X > 0, X, torch.zeros_like(X))"),
    Mutant("03", "mlp", "relu", "relu_maximum", "return X.clamp(min=0.0)", "return torch.maximum(X, torch.zeros_like(X))"),
    # the survivors picked by torch.where, scaled before the selection
    Mutant("03", "mlp", "dropout", "dropout_where",
           "    keep = torch.rand_like(X) >= p  # P(rand >= p) = 1 - p\n    return X * keep / (1.0 - p)",
           "    return torch.where(torch.rand_like(X) >= p, X / (1.0 - p), torch.zeros_like(X))"),
    # one long vector of every weight, its squared norm as a dot product
    Mutant("03", "mlp", "l2_penalty", "concatenated_dot",
           "return sum(w.pow(2).sum() for w in params) / 2",
           "flat = torch.cat([w.reshape(-1) for w in params])\n    return torch.dot(flat, flat) / 2"),
    # in float64, cast back; a loop over the parameters
    Mutant("03", "mlp", "l2_penalty", "float64_loop",
           "return sum(w.pow(2).sum() for w in params) / 2",
           "total = torch.zeros((), dtype=torch.float64, device=params[0].device)\n"
           "    for w in params:\n        total = total + (w.double() * w.double()).sum()\n"
           "    return (total * 0.5).to(params[0].dtype)"),
    Mutant("03", "mlp", "mlp_forward", "einsum", "H = H @ W + b", 'H = torch.einsum("nd,de->ne", H, W) + b'),
    Mutant("03", "mlp", "mlp_forward", "addmm", "H = H @ W + b", "H = torch.addmm(b, H, W)"),
]
