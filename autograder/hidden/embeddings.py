"""Hidden tests for assignment 13 (word embeddings)."""

import torch
from hypothesis import strategies as st

from kit.calls import Call, generator
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import tensors
from solutions import embeddings as solution

SEEDS = st.integers(0, 2**31 - 1)


def seeded(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(SEEDS))


@st.composite
def zipf_counts(draw, dtype, max_vocab=300):
    """Counts of a Zipf-like corpus (a few frequent tokens, a long tail, some never seen), shuffled."""
    V = draw(st.integers(1, max_vocab))
    g = seeded(draw)
    counts = (draw(st.sampled_from([1e2, 1e4, 1e6])) / torch.arange(1, V + 1, dtype=torch.float64)).floor()
    counts = counts[torch.randperm(V, generator=g)].to(torch.int64)
    counts[0] = max(int(counts[0]), 1)  # at least one token occurs
    if dtype == torch.float64 or draw(st.booleans()):
        counts = counts.to(dtype)
    return counts


@st.composite
def large_vocabularies(draw, dtype):
    counts = draw(zipf_counts(dtype))
    t = draw(st.sampled_from([1e-5, 1e-4, 1e-3, 1e-2]))
    return Call((counts,), {"t": t})


@st.composite
def long_corpora(draw, dtype):
    """Corpora from empty to 400 tokens over a Zipf vocabulary of up to 50 tokens."""
    counts = draw(zipf_counts(dtype, max_vocab=50))
    V = counts.shape[0]
    L = draw(st.sampled_from([0, 1, 2, 50, 400]))
    tokens = torch.randint(0, V, (L,), generator=seeded(draw))
    return Call((tokens, counts), {"t": draw(st.sampled_from([1e-4, 1e-3, 0.01, 0.1])), "generator": generator(draw(SEEDS))})


@st.composite
def long_sentences(draw, dtype):
    """Sentences of 0 to 40 tokens, windows of 1 to 10 (often past both ends), repeated tokens."""
    L = draw(st.integers(0, 40))
    g = seeded(draw)
    tokens = torch.randint(0, draw(st.integers(1, 30)), (L,), generator=g)
    windows = torch.randint(1, draw(st.integers(1, 10)) + 1, (L,), generator=g)
    return Call((tokens, windows))


@st.composite
def noise_with_unseen_words(draw, dtype):
    counts = draw(zipf_counts(dtype))
    counts = torch.where(torch.rand(counts.shape, generator=seeded(draw)) < 0.2, torch.zeros_like(counts), counts)
    counts[0] = 1
    return Call((counts,), {"power": draw(st.sampled_from([0.75, 0.5, 1.0]))})


@st.composite
def wide_skip_gram(draw, dtype):
    B, L, V, D = draw(st.integers(1, 16)), draw(st.integers(1, 12)), draw(st.integers(1, 30)), draw(st.integers(1, 16))
    g = seeded(draw)
    return Call((
        torch.randint(0, V, (B,), generator=g), torch.randint(0, V, (B, L), generator=g),
        torch.randn(V, D, generator=g, dtype=dtype), torch.randn(V, D, generator=g, dtype=dtype),
    ))


@st.composite
def extreme_and_padded(draw, dtype):
    """Logits from 1e-3 to 1e4 in size, padding at the ends and in the middle, rows without a single unmasked entry."""
    B, L = draw(st.integers(1, 6)), draw(st.integers(1, 20))
    g = seeded(draw)
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0, 1e4]))
    logits = (torch.randn(B, L, generator=g, dtype=torch.float64) * scale).to(dtype)
    labels = torch.rand(B, L, generator=g) < 0.3
    mask = torch.rand(B, L, generator=g) < draw(st.sampled_from([0.2, 0.7, 1.0]))
    if draw(st.booleans()):
        mask[0] = False  # a row without a single unmasked entry
    kind = draw(st.sampled_from([torch.bool, torch.int64, dtype]))
    return Call((logits, labels.to(kind), mask.to(kind)))


@st.composite
def weights_at_the_edges(draw, dtype):
    x_max = draw(st.sampled_from([100.0, 50.0, 1.0]))
    values = st.sampled_from([0.0, x_max, x_max * (1 - 1e-6), x_max * (1 + 1e-6), 1e-6, 1e9, 0.5 * x_max])
    x = draw(tensors((draw(st.integers(1, 12)),), dtype, elements=values))
    return Call((x,), {"x_max": x_max, "alpha": draw(st.sampled_from([0.75, 0.25, 1.0]))})


@st.composite
def larger_glove(draw, dtype):
    V, D, N = draw(st.integers(1, 30)), draw(st.integers(1, 16)), draw(st.integers(1, 50))
    g = seeded(draw)
    i, j = torch.randint(0, V, (N,), generator=g), torch.randint(0, V, (N,), generator=g)
    x = ((torch.rand(N, generator=g, dtype=torch.float64) * 400).floor() + 1).to(dtype)  # whole counts, many beyond x_max
    v, u = (torch.randn(V, D, generator=g, dtype=dtype) * 0.3 for _ in range(2))
    b, c = (torch.randn(V, generator=g, dtype=dtype) for _ in range(2))
    return Call((i, j, x, v, u, b, c), {"reduction": draw(st.sampled_from(["sum", "mean", "none"]))})


@st.composite
def larger_vocabularies(draw, dtype):
    """Random directions (no ties) or whole numbers with zero rows and duplicates; k up to V - 1."""
    V, D = draw(st.integers(2, 40)), draw(st.integers(1, 8))
    g = seeded(draw)
    if draw(st.booleans()):
        W = torch.randn(V, D, generator=g, dtype=dtype)
    else:
        W = torch.randint(-2, 3, (V, D), generator=g).to(dtype)
        W[torch.rand(V, generator=g) < 0.1] = 0
    query = draw(st.integers(0, V - 1))
    return Call((W, query, draw(st.sampled_from([1, V - 1, max(1, V // 2)]))))


HIDDEN = {
    "subsample_keep_prob": (
        replace_inputs(agrees_with_solution(solution.subsample_keep_prob), large_vocabularies, "Zipf-like vocabularies"),
    ),
    "subsample": (
        replace_inputs(agrees_with_solution(solution.subsample), long_corpora, "empty to long corpora"),
    ),
    "context_pairs": (
        replace_inputs(agrees_with_solution(solution.context_pairs), long_sentences, "long sentences and wide windows"),
    ),
    "noise_distribution": (
        replace_inputs(agrees_with_solution(solution.noise_distribution), noise_with_unseen_words, "words never seen"),
    ),
    "skip_gram_logits": (
        replace_inputs(agrees_with_solution(solution.skip_gram_logits), wide_skip_gram, "wider batches and tables"),
    ),
    "masked_sigmoid_bce": (
        replace_inputs(agrees_with_solution(solution.masked_sigmoid_bce), extreme_and_padded, "extreme logits and heavy padding"),
    ),
    "glove_weight": (
        replace_inputs(agrees_with_solution(solution.glove_weight), weights_at_the_edges, "counts at and around x_max"),
    ),
    "glove_loss": (
        replace_inputs(agrees_with_solution(solution.glove_loss), larger_glove, "larger minibatches"),
    ),
    "nearest_tokens": (
        replace_inputs(agrees_with_solution(solution.nearest_tokens), larger_vocabularies, "larger vocabularies"),
    ),
}
