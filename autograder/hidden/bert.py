"""Hidden tests for assignment 17 (BERT inputs and pre-training targets)."""

import torch
from hypothesis import strategies as st

from kit.calls import Call, generator
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import bert as solution

SEEDS = st.integers(0, 2**31 - 1)


def seeded(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(SEEDS))


@st.composite
def long_sentences(draw, dtype):
    """Sentences of 0 to 60 ids, tokens_b None, empty or long, special ids anywhere in the vocabulary."""
    g = seeded(draw)
    a = torch.randint(0, 30000, (draw(st.integers(0, 60)),), generator=g)
    kind = draw(st.sampled_from(["none", "empty", "long"]))
    cls_id, sep_id = draw(st.sampled_from([(3, 4), (101, 102), (0, 1), (29999, 5)]))
    if kind == "none":
        return Call((a,), {"cls_id": cls_id, "sep_id": sep_id})
    b = torch.randint(0, 30000, (0 if kind == "empty" else draw(st.integers(1, 60)),), generator=g)
    return Call((a, b), {"cls_id": cls_id, "sep_id": sep_id})


@st.composite
def full_length_embeddings(draw, dtype):
    """Wider tables, L equal to max_len or far below it, a single sequence or many."""
    B, L, V, D = draw(st.sampled_from([1, 2, 7])), draw(st.integers(1, 20)), draw(st.integers(3, 50)), draw(st.integers(1, 16))
    max_len = L + draw(st.sampled_from([0, 0, 1, 30]))
    g = seeded(draw)
    return Call((
        torch.randint(0, V, (B, L), generator=g), torch.randint(0, 2, (B, L), generator=g),
        torch.randn(V, D, generator=g, dtype=dtype), torch.randn(2, D, generator=g, dtype=dtype), torch.randn(max_len, D, generator=g, dtype=dtype),
    ))


@st.composite
def any_candidates(draw, dtype):
    """Any candidate mask (specials may be candidates), any ids, mask_id anywhere in the vocabulary, rows of 1 to 130,
    mask_prob from 0.05 to 0.5, now and then a batch without a single candidate."""
    B, L, V = draw(st.integers(1, 6)), draw(st.sampled_from([1, 2, 5, 30, 130])), draw(st.integers(2, 200))
    g = seeded(draw)
    token_ids = torch.randint(0, V, (B, L), generator=g)
    candidates = torch.rand(B, L, generator=g) < draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    kwargs = {"mask_id": draw(st.integers(0, V - 1)), "vocab_size": V, "generator": generator(draw(SEEDS))}
    mask_prob = draw(st.sampled_from([None, 0.05, 0.15, 0.25, 0.5]))
    if mask_prob is not None:
        kwargs["mask_prob"] = mask_prob
    return Call((token_ids, candidates), kwargs)


@st.composite
def wide_gathers(draw, dtype):
    """Longer sequences, wider features, no position at all (P = 0) or many repeats."""
    B, L, D, P = draw(st.integers(1, 9)), draw(st.integers(1, 40)), draw(st.integers(1, 16)), draw(st.sampled_from([0, 1, 3, 20]))
    g = seeded(draw)
    return Call((torch.randn(B, L, D, generator=g, dtype=dtype), torch.randint(0, L, (B, P), generator=g)))


@st.composite
def large_vocabularies(draw, dtype):
    """V up to 3000, logits from 1e-3 to 1e3 in size, fractional or 0/1 weights, some rows all padding."""
    B, P, V = draw(st.integers(1, 5)), draw(st.integers(1, 10)), draw(st.sampled_from([2, 50, 1000, 3000]))
    g = seeded(draw)
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0, 1e3]))
    logits = (torch.randn(B, P, V, generator=g, dtype=torch.float64) * scale).to(dtype)
    labels = torch.randint(0, V, (B, P), generator=g)
    if draw(st.booleans()):
        weights = (torch.rand(B, P, generator=g) < 0.6).to(dtype)
        weights[draw(st.integers(0, B - 1))] = 0
    else:
        weights = (torch.rand(B, P, generator=g, dtype=torch.float64) * 3).to(dtype)
    return Call((logits, labels, weights))


@st.composite
def documents(draw, dtype):
    """Two sentences (one pair) up to 300, sentences of up to 20 ids."""
    N, S = draw(st.sampled_from([2, 3, 10, 300])), draw(st.integers(1, 20))
    return Call((torch.randint(0, 1000, (N, S), generator=seeded(draw)),), {"generator": generator(draw(SEEDS))})


HIDDEN = {
    "bert_input": (
        replace_inputs(agrees_with_solution(solution.bert_input), long_sentences, "long and empty sentences"),
    ),
    "bert_embeddings": (
        replace_inputs(agrees_with_solution(solution.bert_embeddings), full_length_embeddings, "full-length and wider tables"),
    ),
    "mlm_mask": (
        replace_inputs(agrees_with_solution(solution.mlm_mask), any_candidates, "any candidates and long rows"),
    ),
    "gather_positions": (
        replace_inputs(agrees_with_solution(solution.gather_positions), wide_gathers, "wider batches and no positions"),
    ),
    "mlm_loss": (
        replace_inputs(agrees_with_solution(solution.mlm_loss), large_vocabularies, "large vocabularies and fractional weights"),
    ),
    "nsp_pairs": (
        replace_inputs(agrees_with_solution(solution.nsp_pairs), documents, "one pair to long documents"),
    ),
}
