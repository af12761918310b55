"""Honest rewrites of assignment 08 (attention)."""

from mutants import Mutant

HONEST = [
    # torch.softmax (allowed here) over the -inf-masked scores, its NaN rows (no valid key) replaced by torch.where
    Mutant("08", "attention", "masked_softmax", "softmax_then_where",
           "    scores = X.masked_fill(~allowed, float(\"-inf\"))\n"
           "    top = scores.amax(dim=-1, keepdim=True)\n"
           "    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # rows with no valid key\n"
           "    exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys\n"
           "    total = exps.sum(dim=-1, keepdim=True)\n"
           "    return exps / torch.where(total > 0, total, torch.ones_like(total))",
           "    weights = torch.softmax(X.masked_fill(~allowed, float(\"-inf\")), dim=-1)\n"
           "    return torch.where(allowed, weights, torch.zeros_like(weights))"),
    # exp(scores - logsumexp over the valid keys), the log-sum-exp by hand; a row with no valid key made all -inf, exp gives 0
    Mutant("08", "attention", "masked_softmax", "exp_minus_log_sum_exp",
           "    exps = (scores - top).exp()  # exp(-inf) = 0 at masked keys\n"
           "    total = exps.sum(dim=-1, keepdim=True)\n"
           "    return exps / torch.where(total > 0, total, torch.ones_like(total))",
           "    log_total = (scores - top).exp().sum(dim=-1, keepdim=True).log()  # -inf for a row with no valid key\n"
           "    log_total = torch.where(torch.isfinite(log_total), log_total, torch.full_like(log_total, float(\"inf\")))\n"
           "    return (scores - (top + log_total)).exp()"),
    # the query scaled before the product, and einsum for both products
    Mutant("08", "attention", "scaled_dot_product_attention", "einsum_scaled_query",
           "scores = query @ key.transpose(-2, -1) / query.shape[-1] ** 0.5",
           "scores = torch.einsum(\"...le,...se->...ls\", query / query.shape[-1] ** 0.5, key)"),
    # the output as an einsum
    Mutant("08", "attention", "scaled_dot_product_attention", "weights_times_value_by_einsum",
           "return weights @ value, weights", "return torch.einsum(\"...ls,...sv->...lv\", weights, value), weights"),
    # projections by einsum, the heads split with view and permute
    Mutant("08", "attention", "multi_head_attention", "einsum_projections",
           "        y = x @ w.T\n        return y if b is None else y + b\n\n"
           "    def split(x: torch.Tensor) -> torch.Tensor:  # (B, n, E) -> (B, H, n, d)\n"
           "        return x.reshape(B, x.shape[1], H, d).transpose(1, 2)\n",
           "        y = torch.einsum(\"bne,fe->bnf\", x, w)\n        return y if b is None else y + b\n\n"
           "    def split(x: torch.Tensor) -> torch.Tensor:  # (B, n, E) -> (B, H, n, d)\n"
           "        return x.reshape(B, x.shape[1], H, d).permute(0, 2, 1, 3)\n"),
    # d2l's table: the frequencies as exp(-log(10000) * 2i / d), in float64, then cast
    Mutant("08", "attention", "positional_encoding", "exp_log_frequencies",
           "angles = positions / 10000 ** (even / d_model)",
           "angles = positions * torch.exp(even * (-torch.log(torch.tensor(10000.0, dtype=torch.float64)) / d_model))"),
]
