"""Public tests for assignment 13 (word embeddings).

Each graded function is described once below: how its inputs are drawn, which reference
it must match, and the properties it must have. The tests are generated from these records
for every dtype (and for CUDA when one is present). Run: pytest assignments/13
"""

import math
from collections import Counter

import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call, generator
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded, tensors

SEEDS = st.integers(0, 2**31 - 1)
PROPERTY_EXAMPLES = 10  # properties make two or three calls per example


def Property(name: str, verify, **kwargs) -> Check:
    return Check(name, verify, examples=kwargs.pop("examples", PROPERTY_EXAMPLES), **kwargs)


def float_dtype(counts: torch.Tensor) -> torch.dtype:
    """The dtype of a probability computed from `counts`: theirs if floating, else float32."""
    return counts.dtype if counts.is_floating_point() else torch.float32


# ---------------------------------------------------------------- inputs: counts (subsample_keep_prob, noise_distribution)


@st.composite
def count_tensors(draw, dtype, max_vocab=12, high=1000):
    """(V,) corpus counts with at least one nonzero: int64, or the run's float dtype (float64 runs: float64 only,
    so that the output is compared in its own dtype's tolerance)."""
    V = draw(st.integers(1, max_vocab))
    counts = draw(tensors((V,), torch.int64, 0, high))
    if not bool((counts > 0).any()):
        counts[draw(st.integers(0, V - 1))] = draw(st.integers(1, high))
    if dtype == torch.float64 or draw(st.booleans()):
        counts = counts.to(dtype)
    return counts


# thresholds around the frequencies of a small vocabulary (about 1/V): keep probabilities spread over (0, 1]
THRESHOLDS = (None, 1e-3, 0.01, 0.03, 0.1, 0.3)


@st.composite
def keep_prob_inputs(draw, dtype):
    """subsample_keep_prob(counts (V,)[, t])."""
    counts = draw(count_tensors(dtype))
    t = draw(st.sampled_from(THRESHOLDS))
    return Call((counts,)) if t is None else Call((counts,), {"t": t})


@st.composite
def exact_threshold_inputs(draw, dtype):
    """Counts with one token whose frequency is exactly t = 2^-s (exact in every float format), zeros, and others."""
    s = draw(st.integers(1, 5))
    others = draw(st.lists(st.integers(0, 60), min_size=1, max_size=8))
    m = 2**s - 1
    others[0] += (-sum(others)) % m if sum(others) else m  # the others' total: a positive multiple of 2^s - 1
    exact = sum(others) // m  # exact / (exact + sum(others)) = 1 / (1 + m) = 2^-s
    values = others + [exact]
    order = draw(st.permutations(range(len(values))))
    counts = torch.tensor([values[k] for k in order], dtype=torch.int64)
    if dtype == torch.float64 or draw(st.booleans()):
        counts = counts.to(dtype)
    return Call((counts,), {"t": 2.0**-s})


def matches(reference, what="output"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), what)

    return verify


def frequencies(counts: torch.Tensor) -> torch.Tensor:
    counts = counts.double()
    return counts / counts.sum()


def reference_keep_prob(counts, t=1e-4):
    """min(1, sqrt(t / f)), 1 where the count is 0; in float64, then in the counts' float dtype."""
    f = frequencies(counts)
    keep = torch.where(counts > 0, (t / f).sqrt().clamp(max=1.0), torch.ones_like(f))
    return keep.to(float_dtype(counts))


def one_exactly_where_rare(t: Trial) -> None:
    counts = t.call.args[0]
    threshold = t.call.kwargs.get("t", 1e-4)
    out, f = t.output, frequencies(counts)
    t.assert_close(out, t.expected(reference_keep_prob))
    rare = f <= threshold  # exact here: counts are integers, t a power of two
    if not bool((out[rare] == 1).all()):
        raise AssertionError(f"tokens with f <= t (or count 0) must be kept with probability exactly 1.0, got {out[rare].tolist()}")
    if not bool((out[~rare] < 1).all()):
        raise AssertionError(f"tokens with f > t must be kept with probability below 1, got {out[~rare].tolist()}")


def decreasing_in_frequency(t: Trial) -> None:
    counts, out = t.call.args[0].double(), t.output
    more = counts[:, None] > counts[None, :]  # token a is more frequent than token b
    if bool((more & (out[:, None] > out[None, :])).any()):
        a, b = (more & (out[:, None] > out[None, :])).nonzero()[0].tolist()
        raise AssertionError(f"token {a} (count {counts[a]:g}) is kept more often than token {b} (count {counts[b]:g}): "
                             f"{float(out[a]):.4g} > {float(out[b]):.4g}")


# ---------------------------------------------------------------- inputs: subsample


SUBSAMPLE_THRESHOLDS = (None, 0.01, 0.05, 0.1, 0.2)


@st.composite
def subsample_inputs(draw, dtype, min_tokens=5, max_tokens=30):
    """subsample(tokens (L,), counts (V,)[, t], generator=...): thresholds that keep some tokens and drop others."""
    counts = draw(count_tensors(dtype, max_vocab=8, high=200))
    V = counts.shape[0]
    tokens = draw(tensors((draw(st.integers(min_tokens, max_tokens)),), torch.int64, 0, V - 1))
    t = draw(st.sampled_from(SUBSAMPLE_THRESHOLDS))
    kwargs = {} if t is None else {"t": t}
    return Call((tokens, counts), {**kwargs, "generator": generator(draw(SEEDS))})


def reference_subsample(tokens, counts, t=1e-4, *, generator):
    u = torch.rand(tokens.shape[0], generator=generator)
    return u < reference_keep_prob(counts, t)[tokens]


# one token repeated 100,000 times: (counts, t, seed) with keep probabilities 0.3, 0.8 and 0.05
MANY_COPIES = 100_000
STATISTICAL = (
    (torch.tensor([90, 10]), 0.081, 5),
    (torch.tensor([50, 30, 20]), 0.32, 6),
    (torch.tensor([400, 100]), 0.002, 7),
)


def many_copies(dtype):
    """subsample(100,000 copies of token 0, counts, t, generator=...): a fixed seed, so the statistic is fixed too."""
    return st.sampled_from([
        Call((torch.zeros(MANY_COPIES, dtype=torch.int64), counts), {"t": t, "generator": generator(seed)})
        for counts, t, seed in STATISTICAL
    ])


def keeps_at_the_rate(t: Trial) -> None:
    counts, threshold = t.call.args[1], t.call.kwargs["t"]
    p = float(reference_keep_prob(counts.double(), threshold)[0])
    kept = t.output
    if not isinstance(kept, torch.Tensor) or kept.shape != (MANY_COPIES,) or kept.dtype != torch.bool:
        raise AssertionError(f"expected a bool tensor of shape ({MANY_COPIES},), got {kept!r:.80}")
    rate, sigma = float(kept.double().mean()), math.sqrt(p * (1 - p) / MANY_COPIES)
    if abs(rate - p) > 3 * sigma:
        raise AssertionError(f"kept {rate:.4f} of {MANY_COPIES} copies of a token whose keep probability is "
                             f"min(1, sqrt(t / f)) = {p:.4f} (+- {3 * sigma:.4f})")


def same_seed_same_mask(t: Trial) -> None:
    again = t.run(t.call)
    t.assert_close(again, t.output, "the mask of a second call with a generator of the same seed")


# ---------------------------------------------------------------- inputs: context_pairs


@st.composite
def sentence_inputs(draw, dtype, min_len=0, max_len=12, equal_windows=False, distinct=False):
    """context_pairs(tokens (L,), window_sizes (L,)): windows of 1..4, some longer than the sentence."""
    L = draw(st.integers(min_len, max_len))
    if distinct:
        tokens = torch.tensor(draw(st.permutations(range(L))), dtype=torch.int64) + draw(st.integers(0, 5))
    else:
        tokens = draw(tensors((L,), torch.int64, 0, 19))
    if equal_windows:
        windows = torch.full((L,), draw(st.integers(1, 4)), dtype=torch.int64)
    else:
        windows = draw(tensors((L,), torch.int64, 1, 4))
    return Call((tokens, windows))


def equal_windows(dtype):
    return sentence_inputs(dtype, equal_windows=True)


def distinct_tokens(dtype):
    return sentence_inputs(dtype, min_len=1, distinct=True)


def reference_context_pairs(tokens, window_sizes):
    """The book's loop: for every centre i, the positions max(0, i - w) .. min(L - 1, i + w) but i itself."""
    centers, contexts = [], []
    L = len(tokens)
    for i in range(L):
        w = int(window_sizes[i])
        for j in range(max(0, i - w), min(L, i + w + 1)):
            if j != i:
                centers.append(int(tokens[i]))
                contexts.append(int(tokens[j]))
    return torch.tensor(centers, dtype=torch.int64), torch.tensor(contexts, dtype=torch.int64)


# The book's tiny data set (two sentences, windows drawn at random there, given here) and the contexts it printed.
BOOK_SENTENCES = (
    ((0, 1, 2, 3, 4, 5, 6), (2, 2, 1, 1, 1, 2, 2),
     {0: [1, 2], 1: [0, 2, 3], 2: [1, 3], 3: [2, 4], 4: [3, 5], 5: [3, 4, 6], 6: [4, 5]}),
    ((7, 8, 9), (1, 1, 2), {7: [8], 8: [7, 9], 9: [7, 8]}),
)


def book_sentences(dtype):
    return st.sampled_from([Call((torch.tensor(tokens), torch.tensor(windows))) for tokens, windows, _ in BOOK_SENTENCES])


def pair(output) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(output, (tuple, list)) or len(output) != 2 or not all(isinstance(o, torch.Tensor) for o in output):
        raise AssertionError("return a tuple (centers, contexts) of two tensors")
    centers, contexts = output
    if centers.shape != contexts.shape or centers.dim() != 1:
        raise AssertionError(f"centers and contexts must be two (P,) tensors, got shapes {tuple(centers.shape)} and {tuple(contexts.shape)}")
    return centers, contexts


def reproduces_the_book(t: Trial) -> None:
    tokens = tuple(t.call.args[0].tolist())
    printed = next(expected for words, _, expected in BOOK_SENTENCES if words == tokens)
    centers, contexts = pair(t.output)
    got: dict[int, list[int]] = {}
    for center, context in zip(centers.tolist(), contexts.tolist(), strict=True):
        got.setdefault(center, []).append(context)
    for center, expected in printed.items():
        if got.get(center, []) != expected:
            raise AssertionError(f"center {center} has contexts {got.get(center, [])}; the book prints {expected}")
    t.assert_close(t.output, t.expected(reference_context_pairs), "(centers, contexts) in the order i, then j")


def pair_count(t: Trial) -> None:
    tokens, windows = t.call.args
    L = len(tokens)
    expected = sum(min(i, int(w)) + min(L - 1 - i, int(w)) for i, w in enumerate(windows.tolist()))
    centers, _ = pair(t.output)
    if centers.numel() != expected:
        raise AssertionError(f"{centers.numel()} pairs; sum_i min(i, w_i) + min(L-1-i, w_i) = {expected}")


def symmetric_pairs(t: Trial) -> None:
    centers, contexts = pair(t.output)
    pairs = Counter(zip(centers.tolist(), contexts.tolist(), strict=True))
    swapped = Counter(zip(contexts.tolist(), centers.tolist(), strict=True))
    if pairs != swapped:
        extra = next(iter((pairs - swapped) or (swapped - pairs)))
        raise AssertionError(f"with one window size for every centre, each pair (a, b) needs its mirror (b, a); {extra} has none")


def within_the_window(t: Trial) -> None:
    tokens, windows = t.call.args
    position = {int(token): i for i, token in enumerate(tokens.tolist())}
    centers, contexts = pair(t.output)
    for center, context in zip(centers.tolist(), contexts.tolist(), strict=True):
        if center not in position or context not in position:
            raise AssertionError(f"pair ({center}, {context}) holds a token that is not in the sentence")
        i, j = position[center], position[context]
        if i == j:
            raise AssertionError(f"position {i} is paired with itself: a centre is never its own context")
        if abs(j - i) > int(windows[i]):
            raise AssertionError(f"positions {i} and {j} are {abs(j - i)} apart, beyond the centre's window of {int(windows[i])}")


# ---------------------------------------------------------------- inputs: noise_distribution


@st.composite
def noise_inputs(draw, dtype):
    """noise_distribution(counts (V,)[, power])."""
    counts = draw(count_tensors(dtype))
    power = draw(st.sampled_from([None, 0.75, 0.5, 1.0, 2.0]))
    return Call((counts,)) if power is None else Call((counts,), {"power": power})


def reference_noise(counts, power=0.75):
    weights = counts.double() ** power
    return (weights / weights.sum()).to(float_dtype(counts))


def sums_to_one_in_count_order(t: Trial) -> None:
    out = t.output
    t.assert_close(out.sum(), torch.ones((), dtype=out.dtype), "the sum of the distribution", scale=10)
    counts = t.call.args[0].double()
    if bool(((counts[:, None] > counts[None, :]) & (out[:, None] < out[None, :])).any()):
        raise AssertionError("a more frequent word must not get a lower noise probability")


# ---------------------------------------------------------------- inputs: skip_gram_logits


@st.composite
def skip_gram_inputs(draw, dtype, partner=False):
    """skip_gram_logits(centers (B,), contexts_negatives (B, L), embed_v (V, D), embed_u (V, D))."""
    B, L, V, D = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(1, 4))
    centers = draw(tensors((B,), torch.int64, 0, V - 1))
    contexts = draw(tensors((B, L), torch.int64, 0, V - 1))
    embed_v, embed_u = draw(tensors((V, D), dtype, -3, 3)), draw(tensors((V, D), dtype, -3, 3))
    extra = {}
    if partner:
        extra = {"other_u": draw(tensors((V, D), dtype, -3, 3)), "a": draw(floats(dtype, -2, 2)), "b": draw(floats(dtype, -2, 2))}
    return Call((centers, contexts, embed_v, embed_u), extra=extra)


def with_partner_tables(dtype):
    return skip_gram_inputs(dtype, partner=True)


def reference_skip_gram(centers, contexts_negatives, embed_v, embed_u):
    """The book's skip_gram: embedding look-ups, then bmm of (B, 1, D) by (B, D, L), squeezed to (B, L)."""
    v = F.embedding(centers[:, None], embed_v)  # (B, 1, D)
    u = F.embedding(contexts_negatives, embed_u)  # (B, L, D)
    return torch.bmm(v, u.permute(0, 2, 1))[:, 0, :]


def linear_in_embed_u(t: Trial) -> None:
    centers, contexts, embed_v, U1 = t.call.args
    U2, a, b = t.call.extra["other_u"], t.call.extra["a"], t.call.extra["b"]
    mixed = t.run(Call((centers, contexts, embed_v, a * U1 + b * U2)))
    other = t.run(Call((centers, contexts, embed_v, U2)))
    t.assert_close(mixed, a * t.output + b * other, f"skip_gram_logits(..., {a:.3g} * U1 + {b:.3g} * U2) against the same mix of the outputs",
                   scale=10)


# ---------------------------------------------------------------- inputs: masked_sigmoid_bce


@st.composite
def bce_inputs(draw, dtype, low=-8.0, high=8.0, huge=False, empty_row=False, redraw=False):
    """masked_sigmoid_bce(logits (B, L), labels (B, L), mask (B, L)): labels and mask int64, float or bool."""
    B, L = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    if huge:
        logits = draw(tensors((B, L), dtype, elements=st.sampled_from([1e4, -1e4, 3e3, -3e3, 0.5, -0.5, 0.0])))
    else:
        logits = draw(tensors((B, L), dtype, low, high))
    labels = draw(tensors((B, L), torch.int64, 0, 1))
    mask = draw(tensors((B, L), torch.int64, 0, 1))
    if empty_row:
        mask[draw(st.integers(0, B - 1))] = 0
    kinds = {"int64": torch.int64, "float": dtype, "bool": torch.bool}
    labels, mask = labels.to(kinds[draw(st.sampled_from(list(kinds)))]), mask.to(kinds[draw(st.sampled_from(list(kinds)))])
    extra = {}
    if redraw:  # other logits and labels where the mask is 0
        extra = {"logits": draw(tensors((B, L), dtype, -20, 20)), "labels": draw(tensors((B, L), torch.int64, 0, 1))}
    return Call((logits, labels, mask), extra=extra)


def huge_logits(dtype):
    return bce_inputs(dtype, huge=True)


def with_empty_rows(dtype):
    return bce_inputs(dtype, empty_row=True)


def with_redrawn_padding(dtype):
    return bce_inputs(dtype, redraw=True)


def reference_bce(logits, labels, mask):
    """sum(mask * bce) / sum(mask) per row, from F.binary_cross_entropy_with_logits(weight=mask); 0 for an empty row."""
    m = mask.to(logits.dtype)
    losses = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), weight=m, reduction="none")
    count = m.sum(1)
    return losses.sum(1) / torch.where(count > 0, count, torch.ones_like(count))


# The book's example (004, 10.3.5.1) and the numbers it printed for it.
BOOK_BCE = Call((torch.tensor([[1.5, 0.3, -1, 2], [1.1, -0.6, 2.2, 0.4]]), torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0]]),
                 torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])))
BOOK_BCE_PRINTED = (0.8740, 1.2100)


def book_bce(dtype):
    return st.just(BOOK_BCE.map(lambda x: x.to(dtype) if x.is_floating_point() else x))


def reproduces_book_bce(t: Trial) -> None:
    out = t.output
    t.assert_close(out, t.expected(reference_bce))
    printed = torch.tensor(BOOK_BCE_PRINTED, dtype=out.dtype)
    if not bool(((out - printed).abs() <= 5e-5).all()):
        raise AssertionError(f"got {[round(v, 4) for v in out.tolist()]}; the book prints {list(BOOK_BCE_PRINTED)}")


def padding_changes_nothing(t: Trial) -> None:
    logits, labels, mask = t.call.args
    padding = mask == 0
    new_logits = torch.where(padding, t.call.extra["logits"], logits)
    new_labels = torch.where(padding, t.call.extra["labels"].to(labels.dtype), labels)
    again = t.run(Call((new_logits, new_labels, mask)))
    t.assert_close(again, t.output, "the loss after redrawing the logits and labels where mask = 0")


STEP = 1e-6  # central differences in float64: truncation about 1e-12, rounding about 1e-10


@st.composite
def bce_with_direction(draw, dtype):
    call = draw(bce_inputs(dtype, low=-5, high=5))
    return Call(call.args, extra={"direction": draw(tensors(call.args[0].shape, dtype, -1, 1))})


def gradient_is_sigmoid_minus_label(t: Trial) -> None:
    logits, labels, mask = t.call.args
    d = t.call.extra["direction"]
    up, down = t.run(Call((logits + STEP * d, labels, mask))), t.run(Call((logits - STEP * d, labels, mask)))
    m, y = mask.double(), labels.double()
    count = m.sum(1, keepdim=True)
    gradient = m * (torch.sigmoid(logits) - y) / torch.where(count > 0, count, torch.ones_like(count))
    t.assert_close((up - down) / (2 * STEP), (gradient * d).sum(1), "the derivative along a direction d, (f(x + h d) - f(x - h d)) / 2h,"
                   " against sum_l mask (sigmoid(x) - y) / mask.sum(1) * d", scale=1e3)


# ---------------------------------------------------------------- inputs: glove_weight


@st.composite
def weight_inputs(draw, dtype):
    """glove_weight(x (N,)[, x_max][, alpha]): counts from 0 to beyond x_max, x_max itself included."""
    x_max = draw(st.sampled_from([None, 100.0, 10.0, 3.0]))
    alpha = draw(st.sampled_from([None, 0.75, 0.5, 1.0]))
    top = x_max or 100.0
    special = st.sampled_from([0.0, top, 2 * top, 1e6, 1.0])
    x = draw(tensors((draw(st.integers(1, 10)),), dtype, elements=floats(dtype, 0, 3 * top) | special))
    kwargs = {k: v for k, v in (("x_max", x_max), ("alpha", alpha)) if v is not None}
    return Call((x,), kwargs)


def reference_weight(x, x_max=100.0, alpha=0.75):
    x64 = x.double()
    return torch.where(x64 < x_max, (x64 / x_max) ** alpha, torch.ones_like(x64)).to(x.dtype)


def zero_at_zero_one_from_x_max(t: Trial) -> None:
    x, out = t.call.args[0], t.output
    x_max = t.call.kwargs.get("x_max", 100.0)
    if bool((out[x >= x_max] != 1).any()):
        raise AssertionError(f"h(x) must be exactly 1 for x >= x_max = {x_max:g}, got {out[x >= x_max].tolist()}")
    if bool((out[x == 0] != 0).any()):
        raise AssertionError("h(0) must be 0")
    if bool(((x[:, None] < x[None, :]) & (out[:, None] > out[None, :])).any()):
        raise AssertionError("h must not decrease as x grows")


# ---------------------------------------------------------------- inputs: glove_loss


@st.composite
def glove_inputs(draw, dtype, exact=False, beyond_x_max=False, reduction=None):
    """glove_loss(i, j, x, v, u, b, c[, x_max][, alpha][, reduction])."""
    V, D, N = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 8))
    i, j = draw(tensors((N,), torch.int64, 0, V - 1)), draw(tensors((N,), torch.int64, 0, V - 1))
    v, u = draw(tensors((V, D), dtype, -1, 1)), draw(tensors((V, D), dtype, -1, 1))
    b, c = draw(tensors((V,), dtype, -1, 1)), draw(tensors((V,), dtype, -1, 1))
    x_max = draw(st.sampled_from([None, 100.0, 10.0]))
    top = x_max or 100.0
    if exact:  # x = exp(v[i].u[j] + b[i] + c[j]): the model fits every pair exactly
        x = ((v[i] * u[j]).sum(1) + b[i] + c[j]).double().exp().to(dtype)
    elif beyond_x_max:
        x = draw(tensors((N,), dtype, elements=floats(dtype, top, 5 * top)))
    else:
        x = draw(tensors((N,), dtype, elements=floats(dtype, 0.5, 3 * top) | st.sampled_from([1.0, top, 2.0])))
    kwargs = {"x_max": x_max} if x_max is not None else {}
    if draw(st.booleans()):
        kwargs["alpha"] = draw(st.sampled_from([0.75, 0.5]))
    reduction = reduction or draw(st.sampled_from([None, "sum", "mean", "none"]))
    if reduction is not None:
        kwargs["reduction"] = reduction
    return Call((i, j, x, v, u, b, c), kwargs)


def exact_fits(dtype):
    return glove_inputs(dtype, exact=True, reduction="none")


def beyond_x_max(dtype):
    return glove_inputs(dtype, beyond_x_max=True, reduction="none")


def reference_glove(i, j, x, v, u, b, c, x_max=100.0, alpha=0.75, reduction="sum"):
    """In float64: sum_n h(x_n) (v[i_n].u[j_n] + b[i_n] + c[j_n] - log x_n)^2 (or the mean, or each term)."""
    dtype = x.dtype
    x, v, u, b, c = (t.double() for t in (x, v, u, b, c))
    h = torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))
    losses = h * (torch.einsum("nd,nd->n", v[i], u[j]) + b[i] + c[j] - x.log()) ** 2
    reduced = {"none": losses, "mean": losses.mean(), "sum": losses.sum()}[reduction]
    return reduced.to(dtype)


def zero_at_exact_fit(t: Trial) -> None:
    out = t.output
    t.assert_close(out, torch.zeros_like(out), "the losses where v[i].u[j] + b[i] + c[j] = log x", scale=10)


def weight_one_beyond_x_max(t: Trial) -> None:
    i, j, x, v, u, b, c = t.call.args
    x64 = x.double()
    unweighted = ((v[i].double() * u[j].double()).sum(1) + b[i].double() + c[j].double() - x64.log()) ** 2
    t.assert_close(t.output, unweighted.to(x.dtype), "the losses of pairs with x >= x_max (weight h = 1)")


def reductions_agree(t: Trial) -> None:
    each = t.run(t.call.replace(reduction="none"))
    if not isinstance(each, torch.Tensor) or each.shape != t.call.args[0].shape:
        raise AssertionError(f"reduction='none' must return the ({t.call.args[0].shape[0]},) losses")
    t.assert_close(t.run(t.call.replace(reduction="sum")), each.sum(), "reduction='sum' against the sum of reduction='none'", scale=10)
    t.assert_close(t.run(t.call.replace(reduction="mean")), each.mean(), "reduction='mean' against the mean of reduction='none'", scale=10)
    default = {k: v for k, v in t.call.kwargs.items() if k != "reduction"}
    t.assert_close(t.run(Call(t.call.args, default)), each.sum(), "the default reduction (the book's sum)", scale=10)


# ---------------------------------------------------------------- inputs: nearest_tokens


@st.composite
def nearest_inputs(draw, dtype, duplicate=False, ties=False):
    """nearest_tokens(W (V, D), query, k): small whole numbers, so that every formulation of the cosine rounds alike
    and rows pointing the same way tie exactly."""
    V, D = draw(st.integers(2, 10)), draw(st.integers(1, 4))
    W = draw(tensors((V, D), dtype, -3, 3, elements=st.integers(-3, 3).map(float)))
    query = draw(st.integers(0, V - 1))
    if duplicate:  # the query's own vector again, at a lower index (and maybe at a higher one)
        query = draw(st.integers(1, V - 1))
        W[draw(st.integers(0, query - 1))] = W[query]
        if query < V - 1 and draw(st.booleans()):
            W[draw(st.integers(query + 1, V - 1))] = W[query]
    if ties:  # several copies of a few rows
        rows = draw(st.lists(st.integers(0, V - 1), min_size=V, max_size=V))
        W = W[torch.tensor(rows)]
    return Call((W, query, draw(st.integers(1 if V > 1 else 0, V - 1))))


def duplicated_query(dtype):
    return nearest_inputs(dtype, duplicate=True)


def tied_rows(dtype):
    return nearest_inputs(dtype, ties=True)


@st.composite
def rescaled_rows(draw, dtype):
    """Rows of norm 0.5 to 2 whose cosines with the query are at least 1e-3 apart, and a positive factor per row."""
    V, D = draw(st.integers(2, 10)), draw(st.integers(2, 4))
    g = torch.Generator().manual_seed(draw(SEEDS))
    W = randn(g, V, D, dtype=torch.float64)
    W = W / W.norm(dim=1, keepdim=True) * (0.5 + 1.5 * torch.rand(V, 1, generator=g, dtype=torch.float64))
    query = draw(st.integers(0, V - 1))
    cos = (W @ W[query]) / (W.norm(dim=1) * W[query].norm())
    others = torch.cat([cos[:query], cos[query + 1 :]]).sort().values
    assume(others.numel() < 2 or float(others.diff().min()) >= 1e-3)
    factors = torch.tensor(draw(st.lists(st.sampled_from([0.25, 0.5, 2.0, 3.0, 10.0]), min_size=V, max_size=V)), dtype=torch.float64)
    return Call((W.to(dtype), query, draw(st.integers(1, V - 1))), extra={"factors": factors.to(dtype)})


def reference_nearest(W, query, k):
    """The book's cosine, the query's index excluded, a stable descending sort (ties: the lower index first)."""
    x = W[query]
    cos = W @ x / torch.sqrt((W * W).sum(1) * (x * x).sum() + 1e-9)
    ranked = cos.clone()
    ranked[query] = float("-inf")
    order = torch.sort(ranked, descending=True, stable=True).indices[:k]
    return order, cos[order]


def indices_and_similarities(output, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(output, (tuple, list)) or len(output) != 2 or not all(isinstance(o, torch.Tensor) for o in output):
        raise AssertionError("return a tuple (indices, similarities) of two tensors")
    indices, similarities = output
    if indices.shape != (k,) or indices.dtype != torch.int64:
        raise AssertionError(f"indices: expected a ({k},) int64 tensor, got shape {tuple(indices.shape)} and dtype {indices.dtype}")
    return indices, similarities


def never_the_query(t: Trial) -> None:
    W, query, k = t.call.args
    indices, _ = indices_and_similarities(t.output, k)
    if query in indices.tolist():
        raise AssertionError(f"the query {query} is among its own nearest tokens {indices.tolist()}: exclude it by its index")
    if len(set(indices.tolist())) != k:
        raise AssertionError(f"indices {indices.tolist()} repeat a token")


def duplicate_is_a_neighbour(t: Trial) -> None:
    W, query, k = t.call.args
    indices, _ = indices_and_similarities(t.output, k)
    if query in indices.tolist():
        raise AssertionError(f"the query {query} is among its own nearest tokens {indices.tolist()}, while another token "
                             "has the very same vector: exclude the query by its index, not by dropping the first hit")
    t.assert_close(t.output, t.expected(reference_nearest), "(indices, similarities)")


def scale_invariant(t: Trial) -> None:
    W, query, k = t.call.args
    scaled = t.run(Call((W * t.call.extra["factors"][:, None], query, k)))
    indices, similarities = indices_and_similarities(t.output, k)
    if not torch.equal(scaled[0], indices):
        raise AssertionError(f"scaling rows by positive factors changed the neighbours from {indices.tolist()} to {scaled[0].tolist()}")
    t.assert_close(scaled[1], similarities, "similarities after scaling rows by positive factors", scale=10)


# ---------------------------------------------------------------- large inputs (the efficiency check)

# A Python loop over the vocabulary, the tokens, the positions, the batch or the pairs runs a few
# torch calls (microseconds each) per element: thousands of elements make it 50x to 1000x slower
# than whole-tensor code, which takes a millisecond or less here. Every tensor stays below 32,768
# elements, where PyTorch would split an operation over threads: on a busy machine threads that
# wait for a core inflate the CPU time of the vectorised side.


@seeded
def large_counts(g, dtype):
    """subsample_keep_prob(counts (10000,) Zipf-like, t=1e-4)."""
    counts = (1e5 / torch.arange(1, 10001, dtype=torch.float64)).floor().to(torch.int64)
    return Call((counts[torch.randperm(10000, generator=g)],), {"t": 1e-4})


@seeded
def large_corpus(g, dtype):
    """subsample(tokens (20000,), counts (1000,), t=1e-3)."""
    counts = torch.randint(0, 500, (1000,), generator=g)
    seed = int(torch.randint(2**31, (), generator=g))
    return Call((torch.randint(0, 1000, (20000,), generator=g), counts), {"t": 1e-3, "generator": generator(seed)})


@seeded
def large_sentence(g, dtype):
    """context_pairs(tokens (4000,), window_sizes (4000,) in 1..3)."""
    return Call((torch.randint(0, 1000, (4000,), generator=g), torch.randint(1, 4, (4000,), generator=g)))


@seeded
def large_noise_counts(g, dtype):
    """noise_distribution(counts (10000,))."""
    return Call((torch.randint(0, 10000, (10000,), generator=g),))


@seeded
def large_skip_gram(g, dtype):
    """skip_gram_logits on a batch of 6000 centres with a context and a noise word each, V = 1000, D = 2."""
    B, L, V, D = 6000, 2, 1000, 2
    centers, contexts = torch.randint(0, V, (B,), generator=g), torch.randint(0, V, (B, L), generator=g)
    return Call((centers, contexts, randn(g, V, D, dtype=dtype), randn(g, V, D, dtype=dtype)))


@seeded
def large_bce(g, dtype):
    """masked_sigmoid_bce on (8192, 3) logits, labels and mask."""
    logits = randn(g, 8192, 3, dtype=dtype, scale=3.0)
    labels, mask = torch.randint(0, 2, (8192, 3), generator=g), torch.randint(0, 2, (8192, 3), generator=g)
    return Call((logits, labels, mask))


@seeded
def large_weights(g, dtype):
    """glove_weight(x (10000,) in [0, 300))."""
    return Call(((torch.rand(10000, generator=g, dtype=torch.float64) * 300).to(dtype),))


@seeded
def large_glove(g, dtype):
    """glove_loss on 6000 pairs, V = 1000, D = 4."""
    N, V, D = 6000, 1000, 4
    i, j = torch.randint(0, V, (N,), generator=g), torch.randint(0, V, (N,), generator=g)
    x = (1 + torch.rand(N, generator=g, dtype=torch.float64) * 200).to(dtype)
    v, u = randn(g, V, D, dtype=dtype, scale=0.3), randn(g, V, D, dtype=dtype, scale=0.3)
    b, c = randn(g, V, dtype=dtype, scale=0.3), randn(g, V, dtype=dtype, scale=0.3)
    return Call((i, j, x, v, u, b, c))


@seeded
def large_vocabulary(g, dtype):
    """nearest_tokens(W (3000, 8), query, k=10)."""
    return Call((randn(g, 3000, 8, dtype=dtype), int(torch.randint(3000, (), generator=g)), 10))


# ---------------------------------------------------------------- the assignment

LOOP_HINT = "a Python loop over the elements? Use whole-tensor operations"

ASSIGNMENT = Assignment(
    id="13",
    module="embeddings",
    title="word embeddings",
    functions=(
        Function(
            "subsample_keep_prob",
            keep_prob_inputs,
            points=1,
            reference=reference_keep_prob,
            reference_name="min(1, sqrt(t / f)) with f = counts / counts.sum() (1 where the count is 0)",
            efficiency=Efficiency(large_counts, factor=20, why="the book's sqrt(t * total / count): 1x; a loop over the 10000 tokens 400x",
                                  hint=LOOP_HINT),
            checks=(
                Property(
                    "is exactly 1 where f <= t, below 1 where f > t",
                    one_exactly_where_rare,
                    inputs=exact_threshold_inputs,
                    hint="clamp sqrt(t / f) at 1 (f is the count divided by the total count, not the count)",
                    gated=True,
                ),
                Property(
                    "decreases as the frequency grows",
                    decreasing_in_frequency,
                    hint="frequent tokens are dropped more often: keep = sqrt(t / f), not sqrt(f / t)",
                    gated=True,
                ),
            ),
        ),
        Function(
            "subsample",
            subsample_inputs,
            points=1,
            reference=reference_subsample,
            reference_name="torch.rand(L, generator=generator) < keep_prob[tokens]",
            efficiency=Efficiency(large_corpus, factor=20, why="gather and a reversed comparison: 1x; a loop over the 20000 tokens 400x",
                                  hint=LOOP_HINT),
            checks=(
                Check(
                    "keeps each copy of a token with probability min(1, sqrt(t / f)) (100,000 copies)",
                    keeps_at_the_rate,
                    inputs=many_copies,
                    examples=3,
                    dtypes=(torch.float32,),
                    hint="keep where u < keep_prob[token] (the book draws the DROP probability; keep = 1 - drop)",
                ),
                Property(
                    "gives the same mask for a generator of the same seed",
                    same_seed_same_mask,
                    hint="draw every random number from `generator` (torch.rand(L, generator=generator, device=generator.device))",
                    gated=True,
                ),
            ),
        ),
        Function(
            "context_pairs",
            sentence_inputs,
            points=1.5,
            reference=reference_context_pairs,
            reference_name="the book's loop over centres and their windows",
            efficiency=Efficiency(large_sentence, factor=20, why="nonzero on the (L, 2W+1) mask: 1x; the book's loop over the 4000 positions 150x",
                                  public=False,  # the reference is the loop itself
                                  hint="a Python loop over the positions? Broadcast the offsets -W..W against arange(L) and mask"),
            checks=(
                Check(
                    "reproduces the book's tiny data set",
                    reproduces_the_book,
                    inputs=book_sentences,
                    examples=2,
                    hint="centre i pairs with every j != i with |j - i| <= window_sizes[i] inside the sentence, j ascending",
                ),
                Property(
                    "gives sum_i min(i, w_i) + min(L-1-i, w_i) pairs",
                    pair_count,
                    hint="use each centre's own window, and cut windows at both ends of the sentence (no wrap-around)",
                    gated=True,
                ),
                Property(
                    "is symmetric when every window is the same",
                    symmetric_pairs,
                    inputs=equal_windows,
                    hint="with equal windows, a context of a centre has that centre as a context",
                    gated=True,
                ),
                Property(
                    "never pairs a position with itself, nor beyond its window",
                    within_the_window,
                    inputs=distinct_tokens,
                    hint="leave offset 0 out, and compare |j - i| with window_sizes[i] (the centre's window, not the context's)",
                    gated=True,
                ),
            ),
            dtypes=(torch.float32,),  # integer inputs only: one run
            meta=False,  # the number of pairs depends on the data
        ),
        Function(
            "noise_distribution",
            noise_inputs,
            points=0.5,
            reference=reference_noise,
            reference_name="counts ** power / (counts ** power).sum()",
            efficiency=Efficiency(large_noise_counts, factor=20, why="exp(power * log) in float64: 1.1x; a loop over the 10000 words 250x",
                                  hint=LOOP_HINT),
            checks=(
                Property(
                    "sums to 1 and follows the order of the counts",
                    sums_to_one_in_count_order,
                    hint="raise the counts to the power first, then divide by the sum of the powered counts",
                    gated=True,
                ),
            ),
        ),
        Function(
            "skip_gram_logits",
            skip_gram_inputs,
            points=1,
            reference=reference_skip_gram,
            reference_name="the book's skip_gram: torch.bmm of the looked-up vectors, squeezed to (B, L)",
            efficiency=Efficiency(large_skip_gram, factor=20, why="einsum or bmm: 1x; a loop over the 6000 centres 140x"),
            checks=(
                Property(
                    "is linear in embed_u",
                    linear_in_embed_u,
                    inputs=with_partner_tables,
                    dtypes=(torch.float64,),
                    hint="the logits are plain dot products: no sigmoid or softmax belongs here",
                    gated=True,
                ),
            ),
        ),
        Function(
            "masked_sigmoid_bce",
            bce_inputs,
            points=1.5,
            reference=reference_bce,
            reference_name="F.binary_cross_entropy_with_logits(weight=mask).sum(1) / mask.sum(1)",
            efficiency=Efficiency(large_bce, factor=20, why="float64 inside or softplus by cases: 1.3x; a loop over the 8192 rows 150x"),
            checks=(
                Check(
                    "reproduces the book's example, [0.8740, 1.2100]",
                    reproduces_book_bce,
                    inputs=book_bce,
                    examples=1,
                    hint="average over the unmasked entries of each row: divide by mask.sum(1), not by L",
                ),
                Check(
                    "is finite for logits of +-1e4",
                    matches(reference_bce),
                    inputs=huge_logits,
                    examples=10,
                    hint="log(sigmoid(x)) is log(0) = -inf for x = -1e4: use softplus(-x) = max(-x, 0) + log1p(exp(-|x|))",
                    hint_when=NON_FINITE,
                ),
                Check(
                    "a row whose mask is all 0 gives 0",
                    matches(reference_bce),
                    inputs=with_empty_rows,
                    examples=10,
                    hint="0 / 0 is nan: divide by the count only where it is positive (torch.where)",
                    hint_when=NON_FINITE,
                ),
                Property(
                    "its gradient is mask * (sigmoid(x) - y) / mask.sum(1)",
                    gradient_is_sigmoid_minus_label,
                    inputs=bce_with_direction,
                    dtypes=(torch.float64,),
                    hint="d/dx [softplus(-x) + (1 - y) x] = sigmoid(x) - y; each row is divided by its count of unmasked entries",
                ),
                Property(
                    "ignores logits and labels where mask = 0",
                    padding_changes_nothing,
                    inputs=with_redrawn_padding,
                    hint="multiply each entry's loss by the mask before summing",
                    gated=True,
                ),
            ),
        ),
        Function(
            "glove_weight",
            weight_inputs,
            points=0.5,
            reference=reference_weight,
            reference_name="h(x) = (x / x_max) ** alpha for x < x_max, else 1",
            efficiency=Efficiency(large_weights, factor=20, why="the capped ratio to the power: 1x; a loop over the 10000 counts 600x", hint=LOOP_HINT),
            checks=(
                Property(
                    "is 0 at 0, exactly 1 from x_max on, and never decreases",
                    zero_at_zero_one_from_x_max,
                    hint="torch.where(x < x_max, (x / x_max) ** alpha, 1)",
                    gated=True,
                ),
            ),
        ),
        Function(
            "glove_loss",
            glove_inputs,
            points=1.5,
            reference=reference_glove,
            reference_name="sum_n h(x_n) (v[i_n].u[j_n] + b[i_n] + c[j_n] - log x_n)^2",
            efficiency=Efficiency(large_glove, factor=20, why="einsum for the dot products: 1x; a loop over the 6000 pairs 250x"),
            checks=(
                Property(
                    "is 0 where v[i].u[j] + b[i] + c[j] = log x",
                    zero_at_exact_fit,
                    inputs=exact_fits,
                    hint="the model predicts log x, not log(1 + x) or x",
                    gated=True,
                ),
                Property(
                    "gives pairs with x >= x_max weight 1",
                    weight_one_beyond_x_max,
                    inputs=beyond_x_max,
                    hint="weight each squared error by h(x) = glove_weight(x), which is 1 from x_max on (not by x)",
                ),
                Property(
                    "reduction='sum' and 'mean' reduce reduction='none'",
                    reductions_agree,
                    hint="'none' returns the (N,) losses, 'sum' their sum (the default), 'mean' their mean",
                    gated=True,
                ),
            ),
            tolerance={torch.float32: Tolerance(1e-4, 1e-5)},  # squares of differences of logs: a few float32 roundings each
        ),
        Function(
            "nearest_tokens",
            nearest_inputs,
            points=1.5,
            reference=reference_nearest,
            reference_name="the book's cosine, the query excluded by index, torch.sort(descending=True, stable=True)",
            efficiency=Efficiency(large_vocabulary, factor=20, why="einsum, masked_fill and argsort: 1.1x; a loop over the 3000 rows 200x"),
            checks=(
                Property(
                    "never returns the query",
                    never_the_query,
                    hint="exclude the query by its index (set its score to -inf before sorting)",
                    gated=True,
                ),
                Check(
                    "a row equal to the query's (cosine 1) is a neighbour, the query is not",
                    duplicate_is_a_neighbour,
                    inputs=duplicated_query,
                    examples=PROPERTY_EXAMPLES,
                    hint="topk(k + 1) and dropping the first hit assumes the query comes first; a duplicate row ties with it",
                ),
                Check(
                    "equal similarities keep the lower index first",
                    matches(reference_nearest, "(indices, similarities)"),
                    inputs=tied_rows,
                    examples=PROPERTY_EXAMPLES,
                    hint="sort with torch.sort(scores, descending=True, stable=True)",
                ),
                Property(
                    "is invariant to scaling rows by positive factors",
                    scale_invariant,
                    inputs=rescaled_rows,
                    hint="divide by both norms: cos = W @ x / sqrt(|W_i|^2 |x|^2 + 1e-9)",
                    gated=True,
                ),
            ),
        ),
    ),
    forbidden=(
        "torch.nn.functional.embedding",
        "torch.nn.Embedding",
        "torch.embedding",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        "torch.nn.functional.binary_cross_entropy",
        "torch.binary_cross_entropy_with_logits",
        "torch.nn.BCEWithLogitsLoss",
        "torch.nn.BCELoss",
        "torch.nn.functional.logsigmoid",
        "torch.nn.LogSigmoid",
        "torch.nn.functional.softplus",
        "torch.nn.Softplus",
        "torch.nn.functional.cosine_similarity",
        "torch.cosine_similarity",
        "torch.nn.CosineSimilarity",
        "torch.nn.functional.normalize",
        "random",
        "numpy.random",
    ),
)

test_public = public_tests(ASSIGNMENT)
