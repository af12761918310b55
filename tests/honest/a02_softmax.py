"""Honest rewrites of assignment 02 (softmax regression)."""

from mutants import Mutant

HONEST = [
    # the textbook log-sum-exp: X - (m + log(sum(exp(X - m)))), the rounding of X - torch.logsumexp(X, dim, keepdim=True)
    Mutant("02", "softmax", "log_softmax", "log_sum_exp_by_hand",
           "    shifted = X - X.amax(dim=dim, keepdim=True)\n    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
           "    m = X.amax(dim=dim, keepdim=True)\n    return X - (m + (X - m).exp().sum(dim=dim, keepdim=True).log())"),
    # in float64, cast back
    Mutant("02", "softmax", "log_softmax", "float64_inside",
           "    shifted = X - X.amax(dim=dim, keepdim=True)\n    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
           "    X64 = X.double()\n    shifted = X64 - X64.amax(dim=dim, keepdim=True)\n"
           "    return (shifted - shifted.exp().sum(dim=dim, keepdim=True).log()).to(X.dtype)"),
    # softmax as exp(log_softmax): a helper of the same module
    Mutant("02", "softmax", "softmax", "exp_of_log_softmax",
           "    shifted = X - X.amax(dim=dim, keepdim=True)\n    exps = shifted.exp()\n    return exps / exps.sum(dim=dim, keepdim=True)",
           "    return log_softmax(X, dim).exp()"),
    # exp(X - logsumexp(X)), the log-sum-exp by hand: its exponent is off by a rounding at the scale of X
    Mutant("02", "softmax", "softmax", "exp_minus_log_sum_exp",
           "    shifted = X - X.amax(dim=dim, keepdim=True)\n    exps = shifted.exp()\n    return exps / exps.sum(dim=dim, keepdim=True)",
           "    m = X.amax(dim=dim, keepdim=True)\n    return (X - (m + (X - m).exp().sum(dim=dim, keepdim=True).log())).exp()"),
    # multiply by the reciprocal of the sum
    Mutant("02", "softmax", "softmax", "times_reciprocal",
           "return exps / exps.sum(dim=dim, keepdim=True)", "return exps * exps.sum(dim=dim, keepdim=True).reciprocal()"),
    # the target's log-probability picked by torch.where against a one-hot comparison
    Mutant("02", "softmax", "cross_entropy", "where_one_hot",
           "losses = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)",
           "picked = torch.arange(logits.shape[1], device=logits.device) == target[:, None]\n"
           "    losses = -torch.where(picked, log_p, torch.zeros_like(log_p)).sum(dim=1)"),
    # advanced indexing, and the mean as the sum over N
    Mutant("02", "softmax", "cross_entropy", "indexing_and_sum_over_n",
           '    losses = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)\n    if reduction == "none":\n        return losses\n'
           '    return losses.sum() if reduction == "sum" else losses.mean()',
           '    losses = -log_p[torch.arange(len(target), device=target.device), target]\n    if reduction == "none":\n        return losses\n'
           '    return losses.sum() if reduction == "sum" else losses.sum() / len(target)'),
    # count the hits, then divide in Python
    Mutant("02", "softmax", "accuracy", "count_then_divide",
           "return (logits.argmax(dim=1) == target).double().mean().item()",
           "return int((logits.argmax(dim=1) == target).sum()) / len(target)"),
]
