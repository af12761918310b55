"""Public tests for assignment 12 (decoding and evaluation).

Each graded function is described once below: how its inputs are drawn, what it must agree
with, and the properties it must have. The decoders are stood in for by `LookupStep`s (see
kit/steps.py): a failing input prints as `LookupStep(vocab=4, seed=17, ...)`, which you can
build yourself (`from kit.steps import LookupStep`) to reproduce it. Run: pytest assignments/12
"""

import collections
import math

import torch
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call, live
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Function, Tolerance
from kit.steps import LookupStep, lookup_step

ALPHAS = (None, 0.0, 0.5, 0.75, 1.0)  # None: the call leaves alpha at its default
STEP_DTYPES = {torch.float32: "float32", torch.float64: "float64"}
# BLEU is plain Python arithmetic on counts: float64 throughout, but a float32 detour is no mistake
BLEU_TOLERANCE = {torch.float64: Tolerance(1e-6, 1e-9)}

# ---------------------------------------------------------------- references (plain loops, one token at a time)


def reference_greedy(step, bos_id, eos_id, max_len):
    """Greedy decoding: the first of the most likely tokens, one step at a time."""
    prefix, tokens = [bos_id], []
    while len(tokens) < max_len and (not tokens or tokens[-1] != eos_id):
        row = step(torch.tensor([prefix]))[0].tolist()
        token = row.index(max(row))  # list.index finds the first maximum: the lowest token id
        tokens.append(token)
        prefix.append(token)
    return tokens


def chain_rule_score(step, bos_id, tokens, alpha=0.0):
    """sum_t log P(tokens[t] | <bos>, tokens[:t]) / len(tokens)**alpha, one step call per token."""
    total = 0.0
    for t, token in enumerate(tokens):
        total += step(torch.tensor([[bos_id, *tokens[:t]]]))[0, token].item()
    return total / len(tokens) ** alpha


def reference_bleu(pred_tokens, label_tokens, k):
    """d2l's bleu with tuple n-grams: exp(min(0, 1 - len_label/len_pred)) * prod_n p_n^(1/2^n), n <= min(k, len_pred)."""
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred == 0:
        return 0.0
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        unused = collections.defaultdict(int)  # the label's n-grams not matched yet
        for i in range(len_label - n + 1):
            unused[tuple(label_tokens[i : i + n])] += 1
        matches = 0
        for i in range(len_pred - n + 1):
            gram = tuple(pred_tokens[i : i + n])
            if unused[gram] > 0:
                matches += 1
                unused[gram] -= 1
        score *= math.pow(matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def exhaustive_search(step, bos_id, eos_id, max_len, alpha):
    """Every sequence that ends at its first <eos> or has max_len tokens, scored log P / L**alpha.

    Returns (best score, the sequences within rounding of it, how many sequences there are).
    """
    ended = []  # (tokens, log-probability)
    frontier = [([], 0.0)]  # sequences without <eos>, shorter than max_len
    for length in range(1, max_len + 1):
        rows = step(torch.tensor([[bos_id, *tokens] for tokens, _ in frontier])).double().tolist()
        extended = [(tokens + [w], logp + row[w]) for (tokens, logp), row in zip(frontier, rows, strict=True) for w in range(len(row))]
        ended += [(tokens, logp) for tokens, logp in extended if tokens[-1] == eos_id or length == max_len]
        frontier = [(tokens, logp) for tokens, logp in extended if tokens[-1] != eos_id]
        if not frontier:
            break
    scores = [(logp / len(tokens) ** alpha, tokens) for tokens, logp in ended]
    best = max(score for score, _ in scores)
    return best, [tokens for score, tokens in scores if score >= best - 1e-12 * max(1.0, abs(best))], len(scores)


# ---------------------------------------------------------------- inputs: step functions


@st.composite
def step_and_ids(draw, dtype, vocab=(3, 6), ties=None, length_only=False, max_rows=None):
    """(a lookup_step spec, bos_id, eos_id): bos and eos distinct ids of a vocabulary of V."""
    V = draw(st.integers(*vocab))
    bos = draw(st.integers(0, V - 1))
    eos = draw(st.integers(0, V - 2))
    eos += eos >= bos
    ties = draw(st.booleans()) if ties is None else ties
    length_only = draw(st.booleans()) if length_only is None else length_only
    spec = lookup_step(V, draw(st.integers(0, 2**20)), bos=bos, max_rows=max_rows, ties=ties, dtype=STEP_DTYPES[dtype], length_only=length_only)
    return spec, bos, eos


# ---------------------------------------------------------------- inputs: greedy_search


@st.composite
def greedy_inputs(draw, dtype, ties=None, lengths=(1, 5)):
    """greedy_search(step, bos_id, eos_id, max_len); the step takes one prefix at a time (max_rows=1)."""
    spec, bos, eos = draw(step_and_ids(dtype, ties=ties, max_rows=1))
    return Call((spec, bos, eos, draw(st.integers(*lengths))))


@st.composite
def greedy_with_ties(draw, dtype):
    """Whole-number tables, and at least one step on the greedy path whose top log-probability is shared."""
    call = draw(greedy_inputs(dtype, ties=True, lengths=(2, 5)))
    spec, bos, eos, max_len = call.args
    step, tokens = live(spec), reference_greedy(live(spec), bos, eos, max_len)
    rows = [step(torch.tensor([[bos, *tokens[:t]]]))[0] for t in range(len(tokens))]
    assume(any(int((row == row.max()).sum()) > 1 for row in rows))
    return call


@st.composite
def greedy_meets_eos(draw, dtype):
    """<eos> is a token that greedy decoding without an <eos> would produce before max_len."""
    spec, bos, _ = draw(step_and_ids(dtype, max_rows=1))
    max_len = draw(st.integers(2, 5))
    free = reference_greedy(live(spec), bos, -1, max_len)  # -1: never met
    options = sorted({w for w in free[:-1] if w != bos})
    assume(options)
    return Call((spec, bos, draw(st.sampled_from(options)), max_len))


# ---------------------------------------------------------------- inputs: beam_search


@st.composite
def beam_inputs(draw, dtype, vocab=(3, 6), lengths=(1, 5), beams=(1, 4), ties=None, length_only=None):
    """beam_search(step, bos_id, eos_id, max_len, beam_size[, alpha]); the step refuses more than beam_size prefixes."""
    beam_size = draw(st.integers(*beams))
    spec, bos, eos = draw(step_and_ids(dtype, vocab, ties, length_only, max_rows=beam_size))
    alpha = draw(st.sampled_from(ALPHAS))
    return Call((spec, bos, eos, draw(st.integers(*lengths)), beam_size), {} if alpha is None else {"alpha": alpha})


def beam_of_one(dtype):
    return beam_inputs(dtype, beams=(1, 1))


def wide_beams(dtype):
    return beam_inputs(dtype, vocab=(4, 8), beams=(2, 5))


@st.composite
def huge_beams(draw, dtype):
    """V <= 4, max_len <= 4 and beam_size >= V**max_len: nothing is ever pruned."""
    spec, bos, eos = draw(step_and_ids(dtype, vocab=(3, 4), ties=False))
    max_len = draw(st.integers(1, 4))
    beam_size = spec["vocab"] ** max_len + draw(st.integers(0, 3))
    spec = {**spec, "max_rows": beam_size}
    alpha = draw(st.sampled_from(ALPHAS))
    return Call((spec, bos, eos, max_len, beam_size), {} if alpha is None else {"alpha": alpha})


# The worked examples: small beams whose answer is neither greedy search's nor the best sequence's,
# measured with the reference solution (and an independent prototype); the README walks through the second.
# (vocab, seed, bos, eos, ties, length_only, max_len, beam_size, alpha) -> (tokens, score)
BEAM_EXAMPLES = [
    # ties everywhere (every prefix sees the same distribution): the earlier hypothesis, then the lower
    # token id, and the earliest of the equally good finished hypotheses
    ((5, 46, 2, 3, True, True, 3, 2, 0.75), ([0, 0, 3], -1.590837460818075)),
    # the beam shrinks from 3 to 2 to 1 as hypotheses finish; by raw log-probability [2, 0] would win
    ((5, 654, 1, 0, False, False, 4, 3, 1.0), ([1, 2, 0], -0.6159254860407651)),
    # the winner never generates <eos>: it is still live after max_len steps
    ((5, 334, 3, 0, True, False, 4, 2, 1.0), ([1, 3, 2, 4], -0.5100611503602338)),
]


def beam_examples(dtype):
    calls = []
    for (vocab, seed, bos, eos, ties, length_only, max_len, beam_size, alpha), expected in BEAM_EXAMPLES:
        spec = lookup_step(vocab, seed, bos=bos, max_rows=beam_size, ties=ties, dtype=STEP_DTYPES[dtype], length_only=length_only)
        calls.append(Call((spec, bos, eos, max_len, beam_size), {"alpha": alpha}, extra={"expected": expected}))
    return st.sampled_from(calls)


# ---------------------------------------------------------------- inputs: sequence_score


@st.composite
def scored_sequences(draw, dtype, alphas=ALPHAS, sizes=(1, 6)):
    """sequence_score(step, bos_id, tokens[, alpha]): any tokens of the vocabulary."""
    spec, bos, _ = draw(step_and_ids(dtype))
    tokens = draw(st.lists(st.integers(0, spec["vocab"] - 1), min_size=sizes[0], max_size=sizes[1]))
    alpha = draw(st.sampled_from(alphas))
    return Call((spec, bos, tokens), {} if alpha is None else {"alpha": alpha})


def default_alpha(dtype):
    return scored_sequences(dtype, alphas=(None,))


def longer_sequences(dtype):
    return scored_sequences(dtype, alphas=(0.0,), sizes=(2, 6))


# ---------------------------------------------------------------- inputs: bleu

INT_TOKENS = st.integers(0, 5)
STR_TOKENS = st.sampled_from(["a", "b", "ab", "ba", "c", "bc"])  # joined without a separator, "ab" + "c" == "a" + "bc"


@st.composite
def edited(draw, label, tokens, edits=3):
    """A copy of `label` with a few tokens deleted, inserted, replaced or repeated."""
    pred = list(label)
    for _ in range(draw(st.integers(0, edits))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "repeat"]))
        if kind != "insert" and not pred:
            continue
        i = draw(st.integers(0, len(pred) - (kind != "insert")))
        if kind == "delete":
            del pred[i]
        elif kind == "insert":
            pred.insert(i, draw(tokens))
        elif kind == "replace":
            pred[i] = draw(tokens)
        else:
            pred[i:i] = pred[i : i + draw(st.integers(1, 3))]
    return pred


@st.composite
def token_lists(draw, dtype, k=(1, 4)):
    """bleu(pred_tokens, label_tokens, k): ints or short strings; the prediction mostly an edited label."""
    tokens = draw(st.sampled_from([INT_TOKENS, STR_TOKENS]))
    label = draw(st.lists(tokens, min_size=1, max_size=8))
    pred = draw(edited(label, tokens) | st.lists(tokens, max_size=8))
    return Call((pred, label, draw(st.integers(*k))))


# d2l 10.12.5's examples: p_1..p_4 = 4/5, 3/4, 1/3, 0; the book's brevity example (exp(1 - 6/2));
# its translation "they are russian ." (p_1 = 3/4, p_2 = 1/3); and a prediction shorter than k.
BLEU_EXAMPLES = [
    (list("ABBCD"), list("ABCDEF"), 4, 0.0),
    (list("ABBCD"), list("ABCDEF"), 3, 0.5940),
    (list("AB"), list("ABCDEF"), 2, 0.1353),
    ("they are russian .".split(), "they are canadian .".split(), 2, 0.6580),
    ([3], [3, 4], 4, 0.3679),
]


assert all(abs(reference_bleu(pred, label, k) - value) < 5e-5 for pred, label, k, value in BLEU_EXAMPLES)  # as the README quotes them


def bleu_examples(dtype):
    return st.sampled_from([Call((pred, label, k), extra={"rounded": value}) for pred, label, k, value in BLEU_EXAMPLES])


@st.composite
def resegmented(draw, dtype):
    """Two token lists that spell the same letters, cut in other places (and a shared first token)."""
    text = draw(st.text(alphabet="abc", min_size=2, max_size=8))

    def cut(cuts):
        bounds = [0, *sorted(cuts), len(text)]
        return ["x"] + [text[i:j] for i, j in zip(bounds, bounds[1:], strict=False)]

    cuts = st.sets(st.integers(1, len(text) - 1), max_size=len(text) - 1)
    pred, label = cut(draw(cuts)), cut(draw(cuts))
    return Call((pred, label, draw(st.integers(2, 3))))


def tuples_not_strings(dtype):
    return st.just(Call((["x", "ab", "c"], ["x", "a", "bc"], 2))) | resegmented(dtype)


@st.composite
def repeated_tokens(draw, dtype):
    """A prediction that repeats a few tokens (or n-grams) more often than the label has them."""
    label = draw(st.lists(INT_TOKENS, min_size=1, max_size=6))
    gram = draw(st.lists(st.sampled_from(label), min_size=1, max_size=2))
    pred = gram * draw(st.integers(2, 4)) + draw(st.lists(INT_TOKENS, max_size=2))
    return Call((pred, label, draw(st.integers(1, 3))))


@st.composite
def short_predictions(draw, dtype):
    """len(pred_tokens) < k: n stops at len(pred_tokens)."""
    k = draw(st.integers(2, 5))
    label = draw(st.lists(INT_TOKENS, min_size=1, max_size=6))
    pred = draw(st.lists(st.sampled_from(label) | INT_TOKENS, min_size=1, max_size=k - 1))
    return Call((pred, label, k))


@st.composite
def long_predictions(draw, dtype):
    """len(pred_tokens) >= len(label_tokens): the label with tokens inserted or repeated."""
    label = draw(st.lists(INT_TOKENS, min_size=1, max_size=6))
    pred = list(label)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(pred)))
        pred.insert(i, draw(INT_TOKENS | st.sampled_from(label)))
    return Call((pred, label, draw(st.integers(1, 3))))


@st.composite
def identical(draw, dtype):
    label = draw(st.lists(INT_TOKENS | STR_TOKENS, min_size=1, max_size=8))
    return Call((list(label), label, draw(st.integers(1, 5))))


@st.composite
def nothing_in_common(draw, dtype):
    """No token of the prediction is in the label (or the prediction is empty)."""
    label = draw(st.lists(st.integers(0, 4), min_size=1, max_size=6))
    pred = draw(st.lists(st.integers(5, 9), max_size=6))
    return Call((pred, label, draw(st.integers(1, 4))))


# ---------------------------------------------------------------- properties: greedy_search


def token_list(value, what="output"):
    """`value` as a list of Python ints, or an AssertionError saying what it is instead."""
    if not isinstance(value, (list, tuple)) or not all(type(x) is int for x in value):
        raise AssertionError(f"{what}: expected a list of Python ints, got {value!r}")
    return list(value)


def matches_greedy(t: Trial) -> None:
    tokens, expected = token_list(t.output), t.expected(reference_greedy)
    if tokens != expected:
        raise AssertionError(f"expected {expected}, got {tokens}")


def well_formed(tokens: list[int], call: Call) -> None:
    spec, _, eos, max_len = call.args[:4]
    if not 1 <= len(tokens) <= max_len:
        raise AssertionError(f"expected 1 to max_len = {max_len} tokens, got {len(tokens)}: {tokens}")
    if any(not 0 <= w < spec["vocab"] for w in tokens):
        raise AssertionError(f"token ids must lie in [0, {spec['vocab']}), got {tokens}")
    if eos in tokens[:-1]:
        raise AssertionError(f"<eos> = {eos} may only be the last token, got {tokens}")


def greedy_well_formed(t: Trial) -> None:
    well_formed(token_list(t.output), t.call)


# ---------------------------------------------------------------- properties: beam_search


def beam_result(t: Trial) -> tuple[list[int], object]:
    out = t.output
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise AssertionError(f"return a pair (tokens, score), got {out!r}")
    return token_list(out[0], "tokens"), out[1]


def beam_of_one_is_greedy(t: Trial) -> None:
    spec, bos, eos, max_len, _ = t.call.args
    tokens, score = beam_result(t)
    step = live(spec)
    expected = reference_greedy(step, bos, eos, max_len)
    if tokens != expected:
        raise AssertionError(f"tokens: expected {expected} (greedy search's), got {tokens}")
    t.assert_close(score, chain_rule_score(step, bos, expected, t.call.kwargs.get("alpha", 0.75)), "score (log P(tokens) / len**alpha)")


def huge_beam_is_exhaustive(t: Trial) -> None:
    spec, bos, eos, max_len, _ = t.call.args
    alpha = t.call.kwargs.get("alpha", 0.75)
    tokens, score = beam_result(t)
    step = LookupStep.from_spec({**spec, "max_rows": None})
    best, winners, count = exhaustive_search(step, bos, eos, max_len, alpha)
    if tokens not in winners:
        well_formed(tokens, t.call)
        theirs = chain_rule_score(step, bos, tokens, alpha)
        raise AssertionError(f"tokens: expected {winners[0]} (the best of all {count} sequences, score {best:.6g}), got {tokens} (score {theirs:.6g})")
    t.assert_close(score, best, "score")


def score_is_sequence_score(t: Trial) -> None:
    spec, bos = t.call.args[:2]
    tokens, score = beam_result(t)
    well_formed(tokens, t.call)
    t.assert_close(score, chain_rule_score(live(spec), bos, tokens, t.call.kwargs.get("alpha", 0.75)), "score (sequence_score of the tokens returned)")


def beam_well_formed(t: Trial) -> None:
    well_formed(beam_result(t)[0], t.call)


def worked_example(t: Trial) -> None:
    tokens, score = beam_result(t)
    expected_tokens, expected_score = t.call.extra["expected"]
    if tokens != expected_tokens:
        raise AssertionError(f"tokens: expected {expected_tokens} (score {expected_score:.6g}), got {tokens}")
    t.assert_close(score, expected_score, "score")


# ---------------------------------------------------------------- properties: sequence_score


def matches_chain_rule(t: Trial) -> None:
    t.assert_close(t.output, t.expected(chain_rule_score), "log P(tokens) / len(tokens)**alpha")


def one_more_token_adds_its_log_probability(t: Trial) -> None:
    spec, bos, tokens = t.call.args
    shorter = as_float(t.run(Call((spec, bos, tokens[:-1]), {"alpha": 0.0})))
    added = live(spec)(torch.tensor([[bos, *tokens[:-1]]]))[0, tokens[-1]].item()
    t.assert_close(t.output, shorter + added, "score of tokens compared with score of tokens[:-1] + log P(tokens[-1] | <bos>, tokens[:-1])")


# ---------------------------------------------------------------- properties: bleu


def as_float(value) -> float:
    if type(value) not in (float, int) or isinstance(value, bool):
        raise AssertionError(f"expected a Python float, got {value!r}")
    return float(value)


def matches_bleu(what):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference_bleu), what)

    return verify


def worked_bleu_example(t: Trial) -> None:
    expected = t.expected(reference_bleu)
    t.assert_close(t.output, expected, f"BLEU (about {t.call.extra['rounded']:.4f})")


def is_one(t: Trial) -> None:
    t.assert_close(as_float(t.output), 1.0, "BLEU of a prediction equal to its label")


def is_zero(t: Trial) -> None:
    if as_float(t.output) != 0.0:
        raise AssertionError(f"expected 0.0 (no unigram matches, so p_1 = 0), got {t.output!r}")


def in_unit_interval(t: Trial) -> None:
    if not 0.0 <= as_float(t.output) <= 1.0:
        raise AssertionError(f"BLEU lies in [0, 1], got {t.output!r}")


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="12",
    module="decoding",
    title="decoding and evaluation",
    functions=(
        Function(
            "greedy_search",
            greedy_inputs,
            points=2,
            reference=reference_greedy,
            reference_name="greedy decoding (the first argmax at every step)",
            checks=(
                Check(
                    "ties go to the lowest token id",
                    matches_greedy,
                    inputs=greedy_with_ties,
                    hint="torch.argmax returns the first maximum; do not sort or flip the row",
                ),
                Check(
                    "stops right after generating <eos>, and keeps it",
                    matches_greedy,
                    inputs=greedy_meets_eos,
                    hint="append the token first, then stop if it is eos_id",
                ),
                Check(
                    "returns 1 to max_len tokens, <eos> only as the last",
                    greedy_well_formed,
                    hint="max_len counts generated tokens (not <bos>): loop range(max_len), not range(max_len + 1)",
                    gated=True,
                ),
            ),
            dtypes=(torch.float32, torch.float64),  # the step's log-probabilities
            meta=False,  # no tensor inputs: decoding is Python control flow around the step's calls
        ),
        Function(
            "beam_search",
            beam_inputs,
            points=4,
            checks=(
                Check(
                    "beam_size=1 gives greedy search's tokens (for every alpha) and their score",
                    beam_of_one_is_greedy,
                    inputs=beam_of_one,
                    hint="a beam of one keeps the single best candidate; a candidate ending in eos_id leaves the beam, which may then be empty",
                ),
                Check(
                    "a beam of V**max_len finds the best of all sequences (exhaustive search), score included",
                    huge_beam_is_exhaustive,
                    inputs=huge_beams,
                    examples=10,
                    hint="rank finished hypotheses by logp / L**alpha with L counting <eos>; sequences still live after max_len steps count too",
                ),
                Check(
                    "the worked examples (ties, a shrinking beam, the length penalty)",
                    worked_example,
                    inputs=beam_examples,
                    examples=len(BEAM_EXAMPLES) * 2,
                    hint="sort all N*V candidate scores with torch.sort(descending=True, stable=True); finished hypotheses are not replaced",
                ),
                Check(
                    "the score returned is sequence_score(step, bos_id, tokens, alpha)",
                    score_is_sequence_score,
                    hint="score = (sum of the log-probabilities) / L**alpha, L = len(tokens) with <eos> counted, <bos> not",
                    gated=True,
                ),
                Check(
                    "returns 1 to max_len tokens, <eos> only as the last",
                    beam_well_formed,
                    hint="a hypothesis that selects eos_id is finished: never extend it",
                    gated=True,
                ),
                Check(
                    "calls step with at most beam_size prefixes",
                    beam_well_formed,
                    inputs=wide_beams,
                    examples=10,
                    hint="keep the best beam_size candidates of all N*V, not beam_size per hypothesis",
                    gated=True,
                ),
            ),
            dtypes=(torch.float32, torch.float64),
            meta=False,
        ),
        Function(
            "sequence_score",
            scored_sequences,
            points=1,
            reference=chain_rule_score,
            reference_name="the chain rule, sum_t log P(tokens[t] | <bos>, tokens[:t]) / len(tokens)**alpha",
            checks=(
                Check(
                    "alpha defaults to 0: the log-probability of the sequence",
                    matches_chain_rule,
                    inputs=default_alpha,
                    examples=10,
                    hint="the default is alpha=0.0, and len(tokens)**0 = 1",
                ),
                Check(
                    "one more token adds its log-probability (alpha = 0)",
                    one_more_token_adds_its_log_probability,
                    inputs=longer_sequences,
                    examples=10,
                    hint="token t is scored by step([[bos_id, *tokens[:t]]]): the prefix before it, <bos> first",
                    gated=True,
                ),
            ),
            dtypes=(torch.float32, torch.float64),
            meta=False,
        ),
        Function(
            "bleu",
            token_lists,
            points=3,
            reference=reference_bleu,
            reference_name="d2l's bleu with tuple n-grams",
            checks=(
                Check(
                    "the worked examples of d2l 10.12.5",
                    worked_bleu_example,
                    inputs=bleu_examples,
                    examples=len(BLEU_EXAMPLES) * 2,
                    hint="p_n = clipped matches / (len_pred - n + 1), weighted p_n ** (1 / 2**n); brevity exp(min(0, 1 - len_label / len_pred))",
                ),
                Check(
                    "n-grams are tuples of tokens: ['x', 'ab', 'c'] and ['x', 'a', 'bc'] share no bigram",
                    matches_bleu("BLEU"),
                    inputs=tuples_not_strings,
                    examples=10,
                    hint="key the counts by tuple(tokens[i : i + n]): ''.join glues 'ab' + 'c' and 'a' + 'bc' into the same 'abc'",
                ),
                Check(
                    "clips matches: an n-gram counts at most as often as the label has it",
                    matches_bleu("BLEU"),
                    inputs=repeated_tokens,
                    examples=10,
                    hint="count the label's n-grams, and use up one count per match (or take min(count in pred, count in label))",
                ),
                Check(
                    "a prediction shorter than k: n runs up to len(pred_tokens)",
                    matches_bleu("BLEU"),
                    inputs=short_predictions,
                    examples=10,
                    hint="for n in range(1, min(k, len_pred) + 1): a prediction of length 2 has no trigram to divide by",
                ),
                Check(
                    "no brevity penalty when the prediction is at least as long as the label",
                    matches_bleu("BLEU"),
                    inputs=long_predictions,
                    examples=10,
                    hint="exp(min(0, 1 - len_label / len_pred)) is 1 for len_pred >= len_label",
                ),
                Check("is 1 for a prediction equal to its label", is_one, inputs=identical, examples=10, gated=True),
                Check(
                    "is 0 when no token matches, or the prediction is empty",
                    is_zero,
                    inputs=nothing_in_common,
                    examples=10,
                    hint="p_1 = 0 makes the product 0; return 0.0 for an empty prediction before dividing by len_pred",
                    gated=True,
                ),
                Check("lies in [0, 1]", in_unit_interval, gated=True),
            ),
            dtypes=(torch.float64,),  # no tensors: the dtype only picks the tolerance
            tolerance=BLEU_TOLERANCE,
            meta=False,
        ),
    ),
    forbidden=("nltk", "sacrebleu", "torchtext", "torchmetrics"),
)

test_public = public_tests(ASSIGNMENT)
