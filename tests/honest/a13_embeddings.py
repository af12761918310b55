"""Honest rewrites of assignment 13 (word embeddings)."""

from mutants import Mutant

HONEST = [
    # the book's form: sqrt(t * total / count), capped with torch.minimum (count 0 gives inf, then 1)
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_prob_as_t_times_total_over_count",
           "    f = counts / counts.sum()\n    keep = (t / f).sqrt().clamp(max=1.0)  # f = 0 gives t / 0 = inf, then 1\n",
           "    keep = torch.minimum((t * counts.sum() / counts).sqrt(), torch.ones_like(counts))\n"),
    # one minus the book's drop probability max(1 - sqrt(t / f), 0)
    Mutant("13", "embeddings", "subsample_keep_prob", "keep_prob_as_one_minus_drop",
           "keep = (t / f).sqrt().clamp(max=1.0)", "keep = 1 - (1 - (t / f).sqrt()).clamp(min=0.0)"),
    # the keep probabilities gathered, compared the other way round
    Mutant("13", "embeddings", "subsample", "subsample_gather_and_greater",
           "return u < subsample_keep_prob(counts, t)[tokens]", "return subsample_keep_prob(counts, t).gather(0, tokens) > u"),
    # the valid (position, offset) pairs found with nonzero (row-major: i, then j ascending), then gathered
    Mutant("13", "embeddings", "context_pairs", "context_pairs_by_nonzero",
           "    centers = tokens[:, None].expand(j.shape)[valid]\n    contexts = tokens[j.clamp(0, max(L - 1, 0))][valid]\n",
           "    rows, cols = valid.nonzero(as_tuple=True)\n    centers, contexts = tokens[rows], tokens[j[rows, cols]]\n"),
    # the powers as exp(power * log(counts)) in float64 (log 0 = -inf gives exp(-inf) = 0), cast at the end
    Mutant("13", "embeddings", "noise_distribution", "noise_by_exp_log_in_float64",
           "    weights = counts.to(dtype) ** power\n    return weights / weights.sum()",
           "    weights = torch.exp(power * torch.log(counts.to(torch.float64)))\n    return (weights / weights.sum()).to(dtype)"),
    # the dot products as an einsum
    Mutant("13", "embeddings", "skip_gram_logits", "skip_gram_by_einsum",
           "return (u @ v[:, :, None])[:, :, 0]", 'return torch.einsum("bld,bd->bl", u, v)'),
    # the book's bmm of (B, 1, D) by (B, D, L)
    Mutant("13", "embeddings", "skip_gram_logits", "skip_gram_by_bmm",
           "return (u @ v[:, :, None])[:, :, 0]", "return torch.bmm(v[:, None, :], u.transpose(1, 2))[:, 0, :]"),
    # softplus by cases with torch.where (each branch exact where it is used), the mean by nan_to_num of 0/0
    Mutant("13", "embeddings", "masked_sigmoid_bce", "bce_by_cases",
           "    bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))\n"
           "    total = (m * bce).sum(dim=1)\n"
           "    count = m.sum(dim=1)\n"
           "    return total / torch.where(count > 0, count, torch.ones_like(count))",
           "    positive = torch.log1p(torch.exp(-logits)) + (1 - y) * logits  # x >= 0\n"
           "    negative = torch.log1p(torch.exp(logits)) - y * logits  # x < 0\n"
           "    bce = torch.where(logits >= 0, positive, negative)\n"
           "    return torch.nan_to_num((m * bce).sum(dim=1) / m.sum(dim=1), nan=0.0)"),
    # float64 inside, cast back at the end
    Mutant("13", "embeddings", "masked_sigmoid_bce", "bce_in_float64",
           "    y = labels.to(logits.dtype)\n"
           "    m = mask.to(logits.dtype)\n"
           "    bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))\n"
           "    total = (m * bce).sum(dim=1)\n"
           "    count = m.sum(dim=1)\n"
           "    return total / torch.where(count > 0, count, torch.ones_like(count))",
           "    x, y, m = logits.double(), labels.double(), mask.double()\n"
           "    bce = -x * y + x.clamp(min=0) + (-x.abs()).exp().log1p()\n"
           "    count = m.sum(dim=1)\n"
           "    return ((m * bce).sum(dim=1) / count.clamp(min=1)).to(logits.dtype)"),
    # the ratio capped at 1 before the power
    Mutant("13", "embeddings", "glove_weight", "weight_of_the_capped_ratio",
           "return torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))", "return (x / x_max).clamp(max=1.0) ** alpha"),
    # the dot products as an einsum, the reductions from a table
    Mutant("13", "embeddings", "glove_loss", "glove_by_einsum",
           "    prediction = (v[i] * u[j]).sum(dim=1) + b[i] + c[j]\n",
           '    prediction = torch.einsum("nd,nd->n", v[i], u[j]) + b[i] + c[j]\n'),
    # the residual first, the weight by a helper of its own
    Mutant("13", "embeddings", "glove_loss", "glove_residual_then_weight",
           "    losses = glove_weight(x, x_max, alpha) * (prediction - torch.log(x)) ** 2\n",
           "    residual = prediction - x.log()\n"
           "    weight = torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))\n"
           "    losses = weight * residual * residual\n"),
    # masked_fill and argsort, the matrix-vector product as an einsum
    Mutant("13", "embeddings", "nearest_tokens", "nearest_by_masked_fill_and_argsort",
           '    ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)\n'
           "    order = torch.sort(ranked, descending=True, stable=True).indices[:k]\n",
           '    ranked = cos.masked_fill(is_query, float("-inf"))\n'
           "    order = torch.argsort(ranked, descending=True, stable=True)[:k]\n"),
    Mutant("13", "embeddings", "nearest_tokens", "nearest_by_einsum",
           "cos = W @ x / torch.sqrt((W * W).sum(dim=1) * (x * x).sum() + 1e-9)",
           'cos = torch.einsum("vd,d->v", W, x) / ((W * W).sum(dim=1) * x.dot(x) + 1e-9).sqrt()'),
]
