"""Assignment 13: word embeddings (word2vec with negative sampling, GloVe).

Build the pieces of word2vec's skip-gram training (subsampling of frequent tokens,
centre/context pairs, the noise distribution, the skip-gram logits and the masked binary
cross-entropy) and of GloVe (its weight function and loss), then find nearest neighbours by
cosine similarity. Token ids are int64; `counts` (V,) are corpus frequencies (int64 or float).

Do not call F.embedding / nn.Embedding (index the tables), F.binary_cross_entropy_with_logits,
F.binary_cross_entropy, F.logsigmoid, F.softplus, nn.BCEWithLogitsLoss, F.cosine_similarity or
F.normalize; draw random numbers only from the `generator` you are given (no Python `random`,
no `numpy.random`).
"""

import torch


def subsample_keep_prob(counts: torch.Tensor, t: float = 1e-4) -> torch.Tensor:
    """The probability that subsampling keeps each token of the vocabulary, (V,).

    counts (V,): how often each token occurs in the corpus (int64 or float).
    With the relative frequency f = counts / counts.sum():
        keep = min(1, sqrt(t / f)),      and keep = 1 for a token with count 0.
    (The book writes the drop probability max(1 - sqrt(t / f), 0); keep = 1 - drop.)
    Frequent tokens (f > t) are kept with probability below 1; every token with f <= t is
    always kept: exactly 1.0 there. f is a frequency, not a count: divide by the total.
    Returns the counts' floating dtype (float32 for integer counts), on their device.
    """
    ### BEGIN SOLUTION
    dtype = counts.dtype if counts.is_floating_point() else torch.float32
    counts = counts.to(dtype)
    f = counts / counts.sum()
    keep = (t / f).sqrt().clamp(max=1.0)  # f = 0 gives t / 0 = inf, then 1
    return torch.where(counts > 0, keep, torch.ones_like(keep))
    ### END SOLUTION


def subsample(tokens: torch.Tensor, counts: torch.Tensor, t: float = 1e-4, *, generator: torch.Generator) -> torch.Tensor:
    """Which tokens of a corpus survive subsampling: a bool mask (L,), True = keep.

    tokens (L,) int64 token ids; counts (V,) as in subsample_keep_prob.
    Draw exactly one uniform number per token, in one call and in this order:
        u = torch.rand(L, generator=generator, device=generator.device)
    (float32, on the generator's device), then move it to the tokens' device and keep
    token l when u[l] < keep_prob[tokens[l]]. With the same generator seed you get the same
    mask on any device. The caller filters with tokens[mask].
    """
    ### BEGIN SOLUTION
    u = torch.rand(tokens.shape[0], generator=generator, device=generator.device).to(tokens.device)
    return u < subsample_keep_prob(counts, t)[tokens]
    ### END SOLUTION


def context_pairs(tokens: torch.Tensor, window_sizes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (centre, context) pair of one sentence: (centers (P,), contexts (P,)), int64.

    tokens (L,) int64; window_sizes (L,) int64 >= 1, one window per centre position i.
    The pairs are (tokens[i], tokens[j]) for every position j with
        0 < |j - i| <= window_sizes[i]    and    0 <= j < L,
    ordered by i, then by j ascending. A centre is never its own context, a window never
    reaches past either end of the sentence, and a sentence of fewer than 2 tokens gives
    two empty tensors. No Python loop over positions: broadcast the offsets
    -W..W (W the largest window) against the positions and select with a boolean mask.
    """
    ### BEGIN SOLUTION
    L = tokens.shape[0]
    W = min(int(window_sizes.max()), L - 1) if L > 1 else 0
    offsets = torch.arange(-W, W + 1, device=tokens.device)  # (2W + 1,)
    positions = torch.arange(L, device=tokens.device)[:, None]  # (L, 1)
    j = positions + offsets  # (L, 2W + 1): row i holds i - W .. i + W in ascending order
    valid = (offsets != 0) & (offsets.abs() <= window_sizes[:, None]) & (j >= 0) & (j < L)
    centers = tokens[:, None].expand(j.shape)[valid]
    contexts = tokens[j.clamp(0, max(L - 1, 0))][valid]
    return centers, contexts
    ### END SOLUTION


def noise_distribution(counts: torch.Tensor, power: float = 0.75) -> torch.Tensor:
    """word2vec's distribution of noise words for negative sampling, (V,).

        P(w) = counts[w] ** power / sum_v counts[v] ** power
    The power 0.75 flattens the unigram distribution a little: rare words are drawn more
    often than their frequency. The result sums to 1. Returns the counts' floating dtype
    (float32 for integer counts).
    """
    ### BEGIN SOLUTION
    dtype = counts.dtype if counts.is_floating_point() else torch.float32
    weights = counts.to(dtype) ** power
    return weights / weights.sum()
    ### END SOLUTION


def skip_gram_logits(
    centers: torch.Tensor, contexts_negatives: torch.Tensor, embed_v: torch.Tensor, embed_u: torch.Tensor
) -> torch.Tensor:
    """The skip-gram scores of a minibatch: (B, L).

    centers (B,) int64, contexts_negatives (B, L) int64 (each row: the centre's context
    words, then its noise words, then padding); embed_v (V, D) holds the centre vectors v,
    embed_u (V, D) the context vectors u:
        out[b, l] = embed_v[centers[b]] . embed_u[contexts_negatives[b, l]]
    Look the vectors up by indexing the tables (no F.embedding / nn.Embedding), then take
    the dot products for the whole batch at once (a batched matrix product). The book's
    skip_gram returns the same numbers with shape (B, 1, L).
    """
    ### BEGIN SOLUTION
    v = embed_v[centers]  # (B, D)
    u = embed_u[contexts_negatives]  # (B, L, D)
    return (u @ v[:, :, None])[:, :, 0]
    ### END SOLUTION


def masked_sigmoid_bce(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on sigmoid(logits), averaged over the unmasked entries of each row: (B,).

    logits (B, L) float; labels (B, L) in {0, 1} (1: a real context word, 0: a noise word);
    mask (B, L) in {0, 1} (0: padding). labels and mask may have any dtype. Per entry
        bce = -[y log sigmoid(x) + (1 - y) log sigmoid(-x)] = softplus(-x) + (1 - y) x,
    and per row  out[b] = sum_l mask * bce / sum_l mask  (0 for a row whose mask is all 0).
    Compute softplus stably, softplus(z) = max(z, 0) + log1p(exp(-|z|)): log(sigmoid(x))
    is -inf for x = -1e4, and exp(1e4) overflows. Padding must not count in the mean: divide
    by the number of unmasked entries, not by L. Returns logits' dtype.
    """
    ### BEGIN SOLUTION
    y = labels.to(logits.dtype)
    m = mask.to(logits.dtype)
    bce = logits.clamp(min=0) - logits * y + torch.log1p(torch.exp(-logits.abs()))
    total = (m * bce).sum(dim=1)
    count = m.sum(dim=1)
    return total / torch.where(count > 0, count, torch.ones_like(count))
    ### END SOLUTION


def glove_weight(x: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """GloVe's weight h(x) of a co-occurrence count x, elementwise.

        h(x) = (x / x_max) ** alpha   for x < x_max,      h(x) = 1   for x >= x_max.
    h(0) = 0, h grows with x and never exceeds 1. Returns x's dtype.
    """
    ### BEGIN SOLUTION
    return torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))
    ### END SOLUTION


def glove_loss(
    i: torch.Tensor,
    j: torch.Tensor,
    x: torch.Tensor,
    v: torch.Tensor,
    u: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    x_max: float = 100.0,
    alpha: float = 0.75,
    reduction: str = "sum",
) -> torch.Tensor:
    """GloVe's weighted squared loss on a minibatch of N nonzero co-occurrences.

    i, j (N,) int64: centre and context token ids; x (N,) float > 0: their co-occurrence
    counts; v, u (V, D): centre and context vectors; b, c (V,): centre and context biases.
    Per pair n (with a = i[n], o = j[n]):
        loss[n] = h(x[n]) * (v[a] . u[o] + b[a] + c[o] - log x[n]) ** 2,
    h = glove_weight(., x_max, alpha). reduction "sum" (the book's objective) returns the sum
    over the pairs, "mean" their mean, "none" the (N,) losses.
    """
    ### BEGIN SOLUTION
    prediction = (v[i] * u[j]).sum(dim=1) + b[i] + c[j]
    losses = glove_weight(x, x_max, alpha) * (prediction - torch.log(x)) ** 2
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"unknown reduction {reduction!r}")
    ### END SOLUTION


def nearest_tokens(W: torch.Tensor, query: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k tokens whose vectors have the highest cosine similarity with token `query`'s.

    W (V, D): one vector per token; query: a token id (a Python int); 0 <= k < V.
        x = W[query],   cos = W @ x / sqrt((W * W).sum(1) * (x * x).sum() + 1e-9)
    (the 1e-9 keeps a zero row from dividing by 0). The query itself is excluded by its
    index: another token with the very same vector (cosine 1) is a neighbour like any
    other. Returns (indices (k,) int64, similarities (k,) in W's dtype), by similarity
    descending; equal similarities keep the lower index first
    (torch.sort(..., descending=True, stable=True)).
    """
    ### BEGIN SOLUTION
    x = W[query]
    cos = W @ x / torch.sqrt((W * W).sum(dim=1) * (x * x).sum() + 1e-9)
    is_query = torch.arange(W.shape[0], device=W.device) == query
    ranked = torch.where(is_query, torch.full_like(cos, float("-inf")), cos)
    order = torch.sort(ranked, descending=True, stable=True).indices[:k]
    return order, cos[order]
    ### END SOLUTION
