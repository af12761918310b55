"""Hidden tests for assignment 12 (decoding and evaluation)."""

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.steps import lookup_step
from solutions import decoding as solution

STEP_DTYPES = {torch.float32: "float32", torch.float64: "float64"}


@st.composite
def step_and_ids(draw, dtype, vocab, ties, length_only, max_rows):
    V = draw(st.integers(*vocab))
    bos = draw(st.integers(0, V - 1))
    eos = draw(st.integers(0, V - 2))
    eos += eos >= bos
    ties = draw(st.booleans()) if ties is None else ties
    length_only = draw(st.booleans()) if length_only is None else length_only
    spec = lookup_step(V, draw(st.integers(0, 2**30)), bos=bos, max_rows=max_rows, ties=ties, dtype=STEP_DTYPES[dtype], length_only=length_only)
    return spec, bos, eos


@st.composite
def long_greedy(draw, dtype):
    """Vocabularies up to 12, up to 10 tokens, ties or not."""
    spec, bos, eos = draw(step_and_ids(dtype, (3, 12), None, None, 1))
    return Call((spec, bos, eos, draw(st.integers(1, 10))))


@st.composite
def beams(draw, dtype, vocab=(3, 5), lengths=(2, 5), sizes=(1, 4), ties=True, length_only=None, alphas=(None, 0.0, 0.75, 1.0)):
    beam_size = draw(st.integers(*sizes))
    spec, bos, eos = draw(step_and_ids(dtype, vocab, ties, length_only, beam_size))
    alpha = draw(st.sampled_from(alphas))
    return Call((spec, bos, eos, draw(st.integers(*lengths)), beam_size), {} if alpha is None else {"alpha": alpha})


def tied_beams(dtype):
    """Whole-number tables (and often one distribution for every prefix): tie-breaking decides."""
    return beams(dtype)


def wide_beams(dtype):
    """Vocabularies up to 10, beams up to 6, up to 7 tokens, alpha up to 2."""
    return beams(dtype, vocab=(4, 10), lengths=(3, 7), sizes=(2, 6), ties=None, length_only=False, alphas=(0.0, 0.5, 0.75, 1.0, 2.0))


@st.composite
def long_sequences(draw, dtype):
    spec, bos, _ = draw(step_and_ids(dtype, (3, 12), None, None, None))
    tokens = draw(st.lists(st.integers(0, spec["vocab"] - 1), min_size=1, max_size=12))
    return Call((spec, bos, tokens), {"alpha": draw(st.sampled_from([0.0, 0.3, 0.75, 1.0, 2.0]))})


@st.composite
def spaced_tokens(draw, dtype):
    """Tokens of space-separated words; the prediction is the label with the boundary between two neighbours moved.

    Joined with ' ', the bigrams ('a b', 'c') and ('a', 'b c') are the same string 'a b c'.
    """
    groups = draw(st.lists(st.lists(st.sampled_from("abc"), min_size=1, max_size=2), min_size=2, max_size=7))
    i = draw(st.integers(0, len(groups) - 2))
    both = groups[i] + groups[i + 1]
    moved = [c for c in range(1, len(both)) if c != len(groups[i])]
    regrouped = list(groups)
    if moved:
        cut = draw(st.sampled_from(moved))
        regrouped[i : i + 2] = [both[:cut], both[cut:]]
    label, pred = ([" ".join(g) for g in gs] for gs in (groups, regrouped))
    return Call((pred, label, draw(st.integers(2, 3))))


@st.composite
def long_and_empty(draw, dtype):
    """Labels and predictions of 0 to 30 tokens (ints, strings or tuples), k up to 6."""
    tokens = draw(st.sampled_from([st.integers(0, 3), st.sampled_from(["x", "y", "xy"]), st.tuples(st.integers(0, 1), st.integers(0, 1))]))
    label = draw(st.lists(tokens, max_size=30))
    pred = draw(st.lists(tokens, max_size=30) | st.just(list(label[: draw(st.integers(0, len(label)))])))
    return Call((pred, label, draw(st.integers(1, 6))))


HIDDEN = {
    "greedy_search": (
        replace_inputs(agrees_with_solution(solution.greedy_search), long_greedy, "longer outputs and wider vocabularies"),
    ),
    "beam_search": (
        replace_inputs(agrees_with_solution(solution.beam_search), tied_beams, "steps with exact ties"),
        replace_inputs(agrees_with_solution(solution.beam_search), wide_beams, "wider beams and longer outputs"),
    ),
    "sequence_score": (
        replace_inputs(agrees_with_solution(solution.sequence_score), long_sequences, "longer sequences"),
    ),
    "bleu": (
        replace_inputs(agrees_with_solution(solution.bleu), spaced_tokens, "tokens that contain spaces"),
        replace_inputs(agrees_with_solution(solution.bleu), long_and_empty, "long and empty sequences"),
    ),
}
