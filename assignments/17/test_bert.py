"""Public tests for assignment 17 (BERT inputs and pre-training targets).

Each graded function is described once below: how its inputs are drawn, which reference
it must match, and the properties it must have. The tests are generated from these records
for every dtype (and for CUDA when one is present). Run: pytest assignments/17
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from kit.calls import Call, generator
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function
from kit.strategies import randn, seeded, tensors

SEEDS = st.integers(0, 2**31 - 1)
PROPERTY_EXAMPLES = 10  # properties make two or three calls per example
# d2l's WikiText-2 vocabulary puts <unk> first, then its reserved tokens <pad>, <mask>, <cls>, <sep>
UNK, PAD, MASK, CLS, SEP = 0, 1, 2, 3, 4
FIRST_WORD = 5  # the ids of ordinary tokens start here
MASK_PROBS = (None, 0.15, 0.1, 0.25, 0.5)  # None: the default 0.15


def Property(name: str, verify, **kwargs) -> Check:
    return Check(name, verify, examples=kwargs.pop("examples", PROPERTY_EXAMPLES), **kwargs)


def torch_generator(draw) -> torch.Generator:
    """A generator for drawing the inputs (never passed to the function: that gets `generator(seed)`)."""
    return torch.Generator().manual_seed(draw(SEEDS))


def tensor_tuple(output, count: int, what: str) -> tuple:
    if not isinstance(output, (tuple, list)) or len(output) != count or not all(isinstance(o, torch.Tensor) for o in output):
        raise AssertionError(f"return a tuple {what} of {count} tensors")
    return tuple(output)


# ---------------------------------------------------------------- bert_input


@st.composite
def sentence_pairs(draw, dtype, pair=(True, False)):
    """bert_input(tokens_a (La,), [tokens_b (Lb,) or None], cls_id=..., sep_id=...): La, Lb in 0..8."""
    a = draw(tensors((draw(st.integers(0, 8)),), torch.int64, FIRST_WORD, 40))
    b = draw(tensors((draw(st.integers(0, 8)),), torch.int64, FIRST_WORD, 40)) if draw(st.sampled_from(pair)) else None
    cls_id, sep_id = draw(st.sampled_from([(CLS, SEP), (101, 102)]))  # d2l's ids, and the original BERT vocabulary's
    args = (a,) if b is None else (a, b)
    return Call(args, {"cls_id": cls_id, "sep_id": sep_id})


def reference_bert_input(tokens_a, tokens_b=None, *, cls_id, sep_id):
    """d2l's get_tokens_and_segments, on Python lists."""
    tokens = [cls_id] + tokens_a.tolist() + [sep_id]
    segments = [0] * (tokens_a.shape[0] + 2)
    if tokens_b is not None:
        tokens += tokens_b.tolist() + [sep_id]
        segments += [1] * (tokens_b.shape[0] + 1)
    return torch.tensor(tokens, dtype=tokens_a.dtype), torch.tensor(segments, dtype=torch.int64)


# Seed 000's pair "我爱你" and "今天天气不错" (3 and 6 characters, ids 5..13 here): it counts
# <cls>我爱你<sep>今天天气不错 as eleven tokens, without the closing <sep>.
SEED_PAIR = Call((torch.tensor([5, 6, 7]), torch.tensor([8, 9, 10, 11, 12, 13])), {"cls_id": CLS, "sep_id": SEP})


def seed_pair(dtype):
    return st.just(SEED_PAIR)


def reproduces_the_seed_pair(t: Trial) -> None:
    tokens, segments = tensor_tuple(t.output, 2, "(token_ids, segment_ids)")
    if tokens.shape != (12,):
        raise AssertionError(f"<cls> + 3 tokens + <sep> + 6 tokens + <sep> is 12 ids, got {tokens.shape[0]}: {tokens.tolist()}")
    t.assert_close(t.output, t.expected(reference_bert_input), "(token_ids, segment_ids)")


def layout_of_the_input(t: Trial) -> None:
    a = t.call.args[0]
    b = t.call.args[1] if len(t.call.args) > 1 else None
    cls_id, sep_id = t.call.kwargs["cls_id"], t.call.kwargs["sep_id"]
    tokens, segments = tensor_tuple(t.output, 2, "(token_ids, segment_ids)")
    length = a.shape[0] + 2 + (0 if b is None else b.shape[0] + 1)
    if tokens.shape != (length,) or segments.shape != (length,):
        raise AssertionError(f"expected {length} ids and segments (len(a) + 2, plus len(b) + 1 for a pair), "
                             f"got shapes {tuple(tokens.shape)} and {tuple(segments.shape)}")
    if int(tokens[0]) != cls_id:
        raise AssertionError(f"the first id must be cls_id = {cls_id}, got {int(tokens[0])}")
    seps = [a.shape[0] + 1] + ([length - 1] if b is not None else [])
    if any(int(tokens[i]) != sep_id for i in seps):
        raise AssertionError(f"positions {seps} must hold sep_id = {sep_id}: one <sep> after each sentence, got {tokens.tolist()}")


def segments_zero_then_one(t: Trial) -> None:
    a = t.call.args[0]
    tokens, segments = tensor_tuple(t.output, 2, "(token_ids, segment_ids)")
    if segments.dtype != torch.int64:
        raise AssertionError(f"segment_ids must be int64 (they index the segment table), got {segments.dtype}")
    zeros = a.shape[0] + 2
    expected = (torch.arange(segments.shape[0]) >= zeros).long()
    if not torch.equal(segments, expected):
        raise AssertionError(f"segments must be 0 for <cls>, a and the first <sep> ({zeros} zeros), then 1 up to the end, "
                             f"got {segments.tolist()}")


# ---------------------------------------------------------------- bert_embeddings


@st.composite
def embedding_inputs(draw, dtype, extra_rows=False):
    """bert_embeddings(token_ids (B, L), segment_ids (B, L), token_table (V, D), segment_table (2, D), pos_table (max_len, D))."""
    B, L, V, D = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(5, 12)), draw(st.integers(1, 4))
    max_len = L + draw(st.integers(0 if not extra_rows else 1, 4))
    token_ids = draw(tensors((B, L), torch.int64, 0, V - 1))
    segment_ids = draw(tensors((B, L), torch.int64, 0, 1))
    tables = [draw(tensors(shape, dtype, -3, 3)) for shape in ((V, D), (2, D), (max_len, D))]
    extra = {"rows": draw(tensors((max_len - L, D), dtype, -3, 3))} if extra_rows else {}
    return Call((token_ids, segment_ids, *tables), extra=extra)


def with_longer_pos_tables(dtype):
    return embedding_inputs(dtype, extra_rows=True)


def reference_bert_embeddings(token_ids, segment_ids, token_table, segment_table, pos_table):
    """d2l's BERTEncoder: nn.Embedding look-ups of the tokens and segments, plus pos_embedding[:, :L]."""
    L = token_ids.shape[1]
    return F.embedding(token_ids, token_table) + F.embedding(segment_ids, segment_table) + pos_table[None, :L]


def each_table_adds_its_row(t: Trial) -> None:
    token_ids, segment_ids, token_table, segment_table, pos_table = t.call.args
    B, L = token_ids.shape
    zero = torch.zeros_like
    parts = (
        ("token_table[token_ids] (segment and position tables all 0)", (token_table, zero(segment_table), zero(pos_table)),
         token_table[token_ids]),
        ("segment_table[segment_ids] (token and position tables all 0)", (zero(token_table), segment_table, zero(pos_table)),
         segment_table[segment_ids]),
        ("pos_table[l] at position l of every sequence (token and segment tables all 0)", (zero(token_table), zero(segment_table), pos_table),
         pos_table[:L].expand(B, L, -1)),
    )
    for what, tables, expected in parts:
        t.assert_close(t.run(Call((token_ids, segment_ids, *tables))), expected, what)


def rows_beyond_l_change_nothing(t: Trial) -> None:
    token_ids, segment_ids, token_table, segment_table, pos_table = t.call.args
    L = token_ids.shape[1]
    longer = torch.cat([pos_table[:L], t.call.extra["rows"]])
    t.assert_close(t.run(Call((token_ids, segment_ids, token_table, segment_table, longer))), t.output,
                   "the output after changing the rows of pos_table from L on")


# ---------------------------------------------------------------- mlm_mask


def bert_rows(g: torch.Generator, lengths: list[tuple[int, int | None]], V: int, pad: int = 0) -> torch.Tensor:
    """A padded (B, L) batch: row b is <cls> a <sep> [b <sep>] then <pad>, for (La, Lb or None) = lengths[b]."""
    rows = []
    for la, lb in lengths:
        row = [CLS] + torch.randint(FIRST_WORD, V, (la,), generator=g).tolist() + [SEP]
        if lb is not None:
            row += torch.randint(FIRST_WORD, V, (lb,), generator=g).tolist() + [SEP]
        rows.append(row)
    L = max(len(row) for row in rows) + pad
    return torch.tensor([row + [PAD] * (L - len(row)) for row in rows], dtype=torch.int64)


def candidates_of(token_ids: torch.Tensor) -> torch.Tensor:
    """True where a token may be predicted: not <pad>, <cls> or <sep> (an <unk> may be)."""
    return (token_ids != PAD) & (token_ids != CLS) & (token_ids != SEP)


def mlm_call(token_ids, candidates, V, seed, mask_prob=None, extra=None) -> Call:
    kwargs = {"mask_id": MASK, "vocab_size": V, "generator": generator(seed)}
    if mask_prob is not None:
        kwargs["mask_prob"] = mask_prob
    return Call((token_ids, candidates), kwargs, extra=extra or {})


@st.composite
def mlm_inputs(draw, dtype, other_seed=False):
    """mlm_mask(token_ids (B, L), candidates (B, L), mask_id=2, vocab_size=V, generator=..., [mask_prob]):
    rows <cls> a <sep> [b <sep>] <pad>.., some with <unk> (a candidate too), now and then a row of <pad> only."""
    B, V = draw(st.integers(1, 4)), draw(st.integers(FIRST_WORD + 1, 60))
    lengths = [(draw(st.integers(0, 12)), draw(st.none() | st.integers(0, 12))) for _ in range(B)]
    g = torch_generator(draw)
    token_ids = bert_rows(g, lengths, V, pad=draw(st.integers(0, 3)))
    unknown = (torch.rand(token_ids.shape, generator=g) < 0.05) & (token_ids >= FIRST_WORD)
    token_ids = torch.where(unknown, torch.full_like(token_ids, UNK), token_ids)
    if draw(st.integers(0, 4)) == 0:
        token_ids[draw(st.integers(0, B - 1))] = PAD  # a row without a single candidate
    extra = {"seed": draw(SEEDS)} if other_seed else {}
    return mlm_call(token_ids, candidates_of(token_ids), V, draw(SEEDS), draw(st.sampled_from(MASK_PROBS)), extra)


def with_another_seed(dtype):
    return mlm_inputs(dtype, other_seed=True)


# Candidate counts around the rounding: 15% of 10, 30, 50 is 1.5, 4.5, 7.5 (round half up: 2, 5, 8; round half
# to even, Python's round and torch.round: 2, 4, 8); 1, 2, 3 candidates round to 0 and give 1 target; 0 give none.
ROUNDING_COUNTS = (0, 1, 2, 3, 7, 10, 30, 50)


@st.composite
def rows_of_chosen_counts(draw, dtype):
    """mlm_mask on rows with ROUNDING_COUNTS candidates each (mask_prob 0.15), specials and padding beside them."""
    counts = draw(st.lists(st.sampled_from(ROUNDING_COUNTS), min_size=1, max_size=4))
    g = torch_generator(draw)
    lengths = []
    for c in counts:
        if c == 0:
            lengths.append((0, None))
        else:
            la = int(torch.randint(0, c + 1, (), generator=g))
            lengths.append((la, c - la) if draw(st.booleans()) else (c, None))
    token_ids = bert_rows(g, lengths, 50, pad=draw(st.integers(0, 3)))
    return mlm_call(token_ids, candidates_of(token_ids), 50, draw(SEEDS), draw(st.sampled_from([None, 0.15])))


def reference_mlm_mask(token_ids, candidates, *, mask_id, vocab_size, generator, mask_prob=0.15):
    """The RNG contract's three draws, then each row in plain Python: candidates ordered by (u, position),
    the first n_b of them targets, each one masked, replaced or kept by v."""
    shape = token_ids.shape
    u = torch.rand(shape, generator=generator, device=generator.device).tolist()
    v = torch.rand(shape, generator=generator, device=generator.device).tolist()
    r = torch.randint(0, vocab_size, shape, generator=generator, device=generator.device).tolist()
    masked, targets = token_ids.tolist(), [[False] * shape[1] for _ in range(shape[0])]
    for b, row in enumerate(candidates.tolist()):
        positions = [i for i, ok in enumerate(row) if ok]
        n = 0 if not positions else max(1, math.floor(mask_prob * len(positions) + 0.5))
        for i in sorted(positions, key=lambda i: (u[b][i], i))[:n]:
            targets[b][i] = True
            if v[b][i] < 0.8:
                masked[b][i] = mask_id
            elif v[b][i] < 0.9:
                masked[b][i] = r[b][i]
    return torch.tensor(masked, dtype=torch.int64).reshape(shape), torch.tensor(targets, dtype=torch.bool).reshape(shape)


def mask_and_targets(t: Trial) -> tuple[torch.Tensor, torch.Tensor]:
    token_ids = t.call.args[0]
    masked, targets = tensor_tuple(t.output, 2, "(masked_ids, is_target)")
    if masked.shape != token_ids.shape or masked.dtype != torch.int64:
        raise AssertionError(f"masked_ids: expected an int64 tensor of shape {tuple(token_ids.shape)}, got {masked.dtype} {tuple(masked.shape)}")
    if targets.shape != token_ids.shape or targets.dtype != torch.bool:
        raise AssertionError(f"is_target: expected a bool tensor of shape {tuple(token_ids.shape)}, got {targets.dtype} {tuple(targets.shape)}")
    return masked, targets


def target_counts(candidates: torch.Tensor, mask_prob: float) -> list[int]:
    return [0 if c == 0 else max(1, math.floor(mask_prob * c + 0.5)) for c in candidates.sum(1).tolist()]


def exactly_n_b_candidates(t: Trial) -> None:
    token_ids, candidates = t.call.args
    mask_prob = t.call.kwargs.get("mask_prob", 0.15)
    masked, targets = mask_and_targets(t)
    if bool((targets & ~candidates).any()):
        b, i = (targets & ~candidates).nonzero()[0].tolist()
        raise AssertionError(f"position {i} of row {b} (id {int(token_ids[b, i])}) is a target but not a candidate: "
                             "<cls>, <sep> and <pad> are never predicted")
    expected, got = target_counts(candidates, mask_prob), targets.sum(1).tolist()
    if got != expected:
        raise AssertionError(f"targets per row {got}; with {candidates.sum(1).tolist()} candidates and mask_prob = {mask_prob}, "
                             f"max(1, floor(mask_prob * C_b + 0.5)) gives {expected}")


def only_targets_change(t: Trial) -> None:
    token_ids, candidates = t.call.args
    masked, targets = mask_and_targets(t)
    if bool((targets & ~candidates).any()):
        raise AssertionError("a position that is not a candidate (<cls>, <sep>, <pad>) is a target")
    if not torch.equal(masked[~targets], token_ids[~targets]):
        b, i = ((masked != token_ids) & ~targets).nonzero()[0].tolist()
        raise AssertionError(f"position {i} of row {b} is not a target but changed from {int(token_ids[b, i])} to {int(masked[b, i])}")


def same_seed_same_output(t: Trial) -> None:
    t.assert_close(t.run(t.call), t.output, "the output of a second call with a generator of the same seed")


def other_seeds_differ(t: Trial) -> None:
    token_ids, candidates = t.call.args
    if int(candidates.sum()) < 8:  # too few candidates for two seeds to differ surely
        return
    other = t.call.replace(generator=generator(t.call.extra["seed"]))
    if t.call.kwargs["generator"]["seed"] == t.call.extra["seed"]:
        return
    again = t.run(other)
    first, second = tensor_tuple(t.output, 2, "(masked_ids, is_target)"), tensor_tuple(again, 2, "(masked_ids, is_target)")
    if all(torch.equal(x, y) for x, y in zip(first, second, strict=True)):
        raise AssertionError("generators of two different seeds gave the same output: draw u, v and r from `generator`")


# 1000 rows of <cls>, 200 words, <sep>; mask_prob 0.5: 100 targets a row, 100,000 in all
SPLIT_ROWS, SPLIT_WORDS, SPLIT_VOCABULARY = 1000, 200, 1000


def many_targets(dtype):
    g = torch.Generator().manual_seed(17)
    words = torch.randint(FIRST_WORD, SPLIT_VOCABULARY, (SPLIT_ROWS, SPLIT_WORDS), generator=g)
    token_ids = torch.cat([torch.full((SPLIT_ROWS, 1), CLS), words, torch.full((SPLIT_ROWS, 1), SEP)], dim=1)
    return st.just(mlm_call(token_ids, candidates_of(token_ids), SPLIT_VOCABULARY, 2017, 0.5))


def splits_80_10_10(t: Trial) -> None:
    token_ids, candidates = t.call.args
    masked, targets = mask_and_targets(t)
    expected = target_counts(candidates, 0.5)
    if targets.sum(1).tolist() != expected:
        raise AssertionError(f"expected {expected[0]} targets in each row of {SPLIT_WORDS} candidates (mask_prob = 0.5)")
    before, after = token_ids[targets], masked[targets]
    shares = {
        "replaced by mask_id": float((after == MASK).double().mean()),
        "replaced by another id": float(((after != MASK) & (after != before)).double().mean()),
        "left unchanged": float((after == before).double().mean()),
    }
    wanted = {"replaced by mask_id": 0.8, "replaced by another id": 0.1, "left unchanged": 0.1}
    if any(abs(shares[k] - wanted[k]) > 0.01 for k in wanted):
        got = ", ".join(f"{100 * shares[k]:.1f}% {k}" for k in wanted)
        raise AssertionError(f"of {after.numel()} targets: {got}; expected 80%, 10% and 10% (within 1%)")


# The README's worked example: two rows, 17 and 9 candidates (3 and 1 targets; d2l's round(0.15 * len) over the
# whole sentence, specials included, would take 3 and 2), generator seed 8.
README_IDS = torch.tensor([[CLS, 5, 6, 7, 8, 9, 10, 11, 12, 13, SEP, 14, 15, 16, 17, 18, 19, 20, 21, SEP],
                           [CLS, 22, 23, 24, 25, 26, 27, SEP, 28, 29, 30, SEP, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD]])


def readme_example(dtype):
    return st.just(mlm_call(README_IDS, candidates_of(README_IDS), 40, 8))


# ---------------------------------------------------------------- gather_positions


@st.composite
def gather_inputs(draw, dtype):
    """gather_positions(X (B, L, D), positions (B, P) in [0, L)): repeats and any order."""
    B, L, D, P = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    return Call((draw(tensors((B, L, D), dtype, -10, 10)), draw(tensors((B, P), torch.int64, 0, L - 1))))


def reference_gather_positions(X, positions):
    """One sequence at a time: X[b][positions[b]]."""
    return torch.stack([X[b][positions[b]] for b in range(X.shape[0])])


# d2l's MaskLM example: two sequences of 8 positions, mlm_positions [[1, 5, 2], [6, 1, 5]]; X[b, l, :] = 100 b + 10 l + (0, 1, 2)
D2L_X = (100 * torch.arange(2)[:, None, None] + 10 * torch.arange(8)[None, :, None] + torch.arange(3)[None, None, :]).float()
D2L_POSITIONS = torch.tensor([[1, 5, 2], [6, 1, 5]])


def d2l_example(dtype):
    return st.just(Call((D2L_X.to(dtype), D2L_POSITIONS)))


def reproduces_d2l_example(t: Trial) -> None:
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != (2, 3, 3):
        raise AssertionError(f"expected a tensor of shape (2, 3, 3) = (B, P, D), got {getattr(out, 'shape', type(out).__name__)}")
    t.assert_close(out, t.expected(reference_gather_positions), "out[b, p] = X[b, positions[b, p]] (X[b, l] = 100 b + 10 l + (0, 1, 2))")


# ---------------------------------------------------------------- mlm_loss


@st.composite
def loss_inputs(draw, dtype, low=-10.0, high=10.0, weights="any", redraw=False):
    """mlm_loss(logits (B, P, V), labels (B, P), weights (B, P)): weights 0/1, or any in [0, 2], in logits' dtype.

    weights: "any", "padded" (0 and 1, at least one of each), or "zero" (all 0)."""
    B, P, V = draw(st.integers(1, 3)), draw(st.integers(2 if weights == "padded" else 1, 5)), draw(st.integers(2, 8))
    logits = draw(tensors((B, P, V), dtype, low, high))
    labels = draw(tensors((B, P), torch.int64, 0, V - 1))
    if weights == "zero":
        w = torch.zeros(B, P, dtype=dtype)
    elif weights == "padded" or draw(st.booleans()):
        w = draw(tensors((B, P), torch.int64, 0, 1)).to(dtype)
        if weights == "padded":  # a real slot and a padding slot at least
            w[0, 0], w[-1, -1] = 1, 0
    else:
        w = draw(tensors((B, P), dtype, 0, 2))
    extra = {"logits": draw(tensors((B, P, V), dtype, -20, 20)), "labels": draw(tensors((B, P), torch.int64, 0, V - 1))} if redraw else {}
    return Call((logits, labels, w), extra=extra)


def padded_slots(dtype):
    return loss_inputs(dtype, weights="padded")


def all_zero_weights(dtype):
    return loss_inputs(dtype, weights="zero")


def with_redrawn_padding(dtype):
    return loss_inputs(dtype, redraw=True)


def huge_logits(dtype):
    return loss_inputs(dtype, -1e4, 1e4)


def reference_mlm_loss(logits, labels, weights):
    """F.cross_entropy per slot (reduction='none'), weighted: sum(w * ce) / (sum(w) + 1e-8)."""
    B, P, V = logits.shape
    ce = F.cross_entropy(logits.reshape(B * P, V), labels.reshape(B * P), reduction="none").reshape(B, P)
    return (weights * ce).sum() / (weights.sum() + 1e-8)


def matches(reference, what="output"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), what)

    return verify


def zero_weights_give_zero(t: Trial) -> None:
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != ():
        raise AssertionError("expected a 0-dim tensor")
    if not bool(out == 0):
        raise AssertionError(f"with every weight 0 the loss must be 0.0 (0 / (0 + 1e-8)), got {float(out)}")


def zero_weight_slots_change_nothing(t: Trial) -> None:
    logits, labels, weights = t.call.args
    padding = weights == 0
    new_logits = torch.where(padding[..., None], t.call.extra["logits"], logits)
    new_labels = torch.where(padding, t.call.extra["labels"], labels)
    t.assert_close(t.run(Call((new_logits, new_labels, weights))), t.output, "the loss after redrawing the logits and labels of the weight-0 slots")


# ---------------------------------------------------------------- nsp_pairs


@st.composite
def document_inputs(draw, dtype):
    """nsp_pairs(sentences (N, S), generator=...): N in 2..8, sentences of 1..4 ids, each row distinct."""
    N, S = draw(st.integers(2, 8)), draw(st.integers(1, 4))
    sentences = draw(tensors((N, S), torch.int64, FIRST_WORD, 40))
    sentences[:, 0] = torch.arange(N) + FIRST_WORD  # row k starts with 5 + k: every sentence can be told apart
    return Call((sentences,), {"generator": generator(draw(SEEDS))})


def reference_nsp_pairs(sentences, *, generator):
    """The RNG contract's two draws, then the pairs one at a time as d2l's _get_next_sentence builds them."""
    N = sentences.shape[0]
    c = torch.rand(N - 1, generator=generator, device=generator.device).tolist()
    j = torch.randint(0, N, (N - 1,), generator=generator, device=generator.device).tolist()
    first, second, is_next = [], [], []
    for i in range(N - 1):
        first.append(sentences[i])
        second.append(sentences[i + 1] if c[i] < 0.5 else sentences[j[i]])
        is_next.append(c[i] < 0.5)
    return torch.stack(first), torch.stack(second), torch.tensor(is_next, dtype=torch.bool)


def nsp_outputs(t: Trial) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    sentences = t.call.args[0]
    first, second, is_next = tensor_tuple(t.output, 3, "(first, second, is_next)")
    N, S = sentences.shape
    for name, value in (("first", first), ("second", second)):
        if value.shape != (N - 1, S):
            raise AssertionError(f"{name}: expected shape ({N - 1}, {S}) = (N - 1, S), got {tuple(value.shape)}")
    if is_next.shape != (N - 1,) or is_next.dtype != torch.bool:
        raise AssertionError(f"is_next: expected a bool tensor of shape ({N - 1},), got {is_next.dtype} {tuple(is_next.shape)}")
    return first, second, is_next


def first_sentences_in_order(t: Trial) -> None:
    sentences = t.call.args[0]
    first, second, is_next = nsp_outputs(t)
    if not torch.equal(first, sentences[:-1]):
        raise AssertionError("first must be s_0 .. s_{N-2}, in order: pair i starts with sentence i")
    if not torch.equal(second[is_next], sentences[1:][is_next]):
        i = int((~(second == sentences[1:]).all(1) & is_next).nonzero()[0])
        raise AssertionError(f"pair {i} is labelled True (is next) but its second sentence is not s_{i + 1}")


# Seed 2 on 4 sentences: c = [0.61, 0.38, 0.64], j = [0, 2, 3]. Pair 2 draws s_3 at random, its true next sentence:
# the pair is (s_2, s_3, False), as d2l's random.choice over the whole corpus would leave it.
QUIRK = Call((torch.tensor([[5, 10], [6, 11], [7, 12], [8, 13]]),), {"generator": generator(2)})


def quirk_example(dtype):
    return st.just(QUIRK)


def keeps_the_quirk(t: Trial) -> None:
    first, second, is_next = nsp_outputs(t)
    if bool(is_next[2]):
        raise AssertionError("pair 2 drew c = 0.64 >= 0.5, then j = 3 (its true next sentence) at random: its label stays False")
    t.assert_close(t.output, t.expected(reference_nsp_pairs), "(first, second, is_next)")


NSP_SENTENCES = 20_001


def long_document(dtype):
    """20,001 one-id sentences, sentence k = [k]: the second sentence of a pair names the index drawn."""
    return st.just(Call((torch.arange(NSP_SENTENCES)[:, None],), {"generator": generator(1717)}))


def next_half_the_time_else_uniform(t: Trial) -> None:
    first, second, is_next = nsp_outputs(t)
    N = NSP_SENTENCES
    i = torch.arange(N - 1)
    if not torch.equal(first[:, 0], i):
        raise AssertionError("first must be s_0 .. s_{N-2}, in order")
    rate = float(is_next.double().mean())
    if abs(rate - 0.5) > 0.01:
        raise AssertionError(f"{100 * rate:.1f}% of the pairs are labelled True; expected 50% (within 1%)")
    if not torch.equal(second[is_next, 0], i[is_next] + 1):
        raise AssertionError("a pair labelled True must hold the true next sentence s_{i+1}")
    j = second[~is_next, 0].double()
    mean, low, high = float(j.mean()) / (N - 1), float((j < N / 10).double().mean()), float((j >= 9 * N / 10).double().mean())
    adjacent = float((j == i[~is_next] + 1).double().mean())
    if abs(mean - 0.5) > 0.01 or abs(low - 0.1) > 0.01 or abs(high - 0.1) > 0.01 or adjacent > 0.01:
        raise AssertionError(f"the random sentences of the pairs labelled False: mean index {mean:.3f} (N - 1), {100 * low:.1f}% in the "
                             f"first and {100 * high:.1f}% in the last tenth, {100 * adjacent:.2f}% the true next one; expected a uniform "
                             "draw over all N sentences: 0.5, 10%, 10% and about 0%")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# A Python loop over the batch, the rows or the pairs runs a few torch calls (microseconds each) per element:
# a thousand elements make it 50x to 500x slower than whole-tensor code. Every tensor stays below 32,768 elements.


@seeded
def large_embeddings(g, dtype):
    """bert_embeddings on a batch of 2000 sequences of 4 tokens, V = 1000, D = 4."""
    B, L, V, D = 2000, 4, 1000, 4
    return Call((torch.randint(0, V, (B, L), generator=g), torch.randint(0, 2, (B, L), generator=g),
                 randn(g, V, D, dtype=dtype), randn(g, 2, D, dtype=dtype), randn(g, 16, D, dtype=dtype)))


@seeded
def large_batch_to_mask(g, dtype):
    """mlm_mask on 6000 short sentences (1 to 3 tokens, padded to 5): many rows, where a loop over them costs most."""
    lengths = [(int(torch.randint(1, 4, (), generator=g)), None) for _ in range(6000)]
    token_ids = bert_rows(g, lengths, 1000)
    seed = int(torch.randint(2**31, (), generator=g))
    return mlm_call(token_ids, candidates_of(token_ids), 1000, seed)


@seeded
def large_gather(g, dtype):
    """gather_positions(X (4000, 4, 2), positions (4000, 2))."""
    return Call((randn(g, 4000, 4, 2, dtype=dtype), torch.randint(0, 4, (4000, 2), generator=g)))


@seeded
def large_losses(g, dtype):
    """mlm_loss on (3000, 2, 5) logits, a third of the slots padding."""
    w = (torch.rand(3000, 2, generator=g) < 0.67).to(dtype)
    return Call((randn(g, 3000, 2, 5, dtype=dtype, scale=3.0), torch.randint(0, 5, (3000, 2), generator=g), w))


@seeded
def large_document(g, dtype):
    """nsp_pairs on 8000 sentences of 4 ids."""
    seed = int(torch.randint(2**31, (), generator=g))
    return Call((torch.randint(FIRST_WORD, 1000, (8000, 4), generator=g),), {"generator": generator(seed)})


# ---------------------------------------------------------------- the assignment

LOOP_HINT = "a Python loop over the rows? Use whole-tensor operations"

ASSIGNMENT = Assignment(
    id="17",
    module="bert",
    title="BERT inputs and pre-training targets",
    functions=(
        Function(
            "bert_input",
            sentence_pairs,
            points=1,
            reference=reference_bert_input,
            reference_name="d2l's get_tokens_and_segments",
            checks=(
                Check(
                    "gives seed 000's pair of 3 and 6 tokens 12 ids",
                    reproduces_the_seed_pair,
                    inputs=seed_pair,
                    examples=1,
                    hint="a pair is <cls> a <sep> b <sep>: it ends with its own <sep> (len(a) + len(b) + 3 ids)",
                ),
                Property(
                    "has <cls> first and a <sep> after each sentence",
                    layout_of_the_input,
                    hint="[cls_id] + a + [sep_id], then b + [sep_id] for a pair; an empty tokens_b still gets its <sep>",
                    gated=True,
                ),
                Property(
                    "gives segment 0 up to the first <sep> and 1 after it (int64)",
                    segments_zero_then_one,
                    hint="<cls>, a and the first <sep> are segment 0; b and the last <sep> are segment 1",
                    gated=True,
                ),
            ),
            dtypes=(torch.float32,),  # integer inputs only: one run
        ),
        Function(
            "bert_embeddings",
            embedding_inputs,
            points=1,
            reference=reference_bert_embeddings,
            reference_name="d2l's BERTEncoder: token and segment nn.Embedding plus pos_embedding[:, :L]",
            efficiency=Efficiency(large_embeddings, factor=20, why="index_select and where: 1x; a loop over the 2000 sequences 140x"),
            checks=(
                Property(
                    "adds token_table[id], segment_table[segment] and pos_table[position]",
                    each_table_adds_its_row,
                    hint="out[b, l] = token_table[token_ids[b, l]] + segment_table[segment_ids[b, l]] + pos_table[l]; no sqrt(D) scaling",
                ),
                Property(
                    "uses only the first L rows of pos_table",
                    rows_beyond_l_change_nothing,
                    inputs=with_longer_pos_tables,
                    hint="position l gets pos_table[l]: add pos_table[:L], the first L rows",
                    gated=True,
                ),
            ),
        ),
        Function(
            "mlm_mask",
            mlm_inputs,
            points=3,
            reference=reference_mlm_mask,
            reference_name="the RNG contract's draws u, v, r, then each row in Python: the n_b candidates of smallest u, by v",
            efficiency=Efficiency(large_batch_to_mask, factor=20, public=False,  # the reference is a loop itself
                                  why="sort, argsort and where: 1x; pairwise ranks or a scatter 1.5x; a loop over the 6000 rows 45x",
                                  hint=LOOP_HINT),
            checks=(
                Check(
                    "reproduces the README's worked example (seed 8)",
                    matches(reference_mlm_mask, "(masked_ids, is_target)"),
                    inputs=readme_example,
                    examples=1,
                    hint="draw u, v, r in this order from `generator`; targets: the n_b candidates of smallest u; v < 0.8 mask, < 0.9 r",
                ),
                Check(
                    "picks exactly max(1, floor(mask_prob * C_b + 0.5)) candidates per row",
                    exactly_n_b_candidates,
                    inputs=rows_of_chosen_counts,
                    examples=PROPERTY_EXAMPLES,
                    hint="count the CANDIDATES of each row (not its length), round half up (floor(x + 0.5): Python's round and "
                         "torch.round send 4.5 to 4), at least 1 where a row has a candidate, 0 where it has none",
                ),
                Check(
                    "splits the targets 80/10/10: mask_id, a random id, unchanged (100,000 targets, within 1%)",
                    splits_80_10_10,
                    inputs=many_targets,
                    examples=1,
                    hint="v < 0.8: mask_id; 0.8 <= v < 0.9: r (a random id); v >= 0.9: the token stays, and it is still a target",
                ),
                Property(
                    "changes targets only, and never <cls>, <sep> or <pad>",
                    only_targets_change,
                    hint="give non-candidates the key 2.0 before sorting, and leave every non-target id as it was",
                    gated=True,
                ),
                Property(
                    "gives the same output for a generator of the same seed",
                    same_seed_same_output,
                    hint="draw every random number from `generator` (device=generator.device), never from torch's global generator",
                    gated=True,
                ),
                Property(
                    "gives different outputs for generators of different seeds",
                    other_seeds_differ,
                    inputs=with_another_seed,
                    hint="draw u, v and r from `generator`, not from a generator of your own",
                    gated=True,
                ),
            ),
            hint="three draws of shape (B, L) from `generator`, in this order: u = rand, v = rand, r = randint(0, vocab_size)",
            dtypes=(torch.float32,),  # integer inputs only: one run
        ),
        Function(
            "gather_positions",
            gather_inputs,
            points=1,
            reference=reference_gather_positions,
            reference_name="torch.stack([X[b][positions[b]] for b in range(B)])",
            efficiency=Efficiency(large_gather, factor=20, public=False,  # the reference is the loop itself
                                  why="advanced indexing or torch.gather: 1x; a loop over the 4000 sequences 300x"),
            checks=(
                Check(
                    "reproduces d2l's MaskLM example (positions [[1, 5, 2], [6, 1, 5]])",
                    reproduces_d2l_example,
                    inputs=d2l_example,
                    examples=1,
                    hint="out[b, p] = X[b, positions[b, p]]: each row reads its own sequence (batch index by repeat_interleave, not repeat)",
                ),
            ),
        ),
        Function(
            "mlm_loss",
            loss_inputs,
            points=2,
            reference=reference_mlm_loss,
            reference_name="sum(weights * F.cross_entropy(..., reduction='none')) / (sum(weights) + 1e-8)",
            efficiency=Efficiency(large_losses, factor=20, why="logsumexp in float64: 2.2x; a loop over the 3000 rows 150x"),
            checks=(
                Check(
                    "padding slots (weight 0) do not count in the mean",
                    matches(reference_mlm_loss),
                    inputs=padded_slots,
                    examples=PROPERTY_EXAMPLES,
                    hint="weight each slot's own cross-entropy: sum(w * ce) / (sum(w) + 1e-8); d2l's mean over all slots times the "
                         "weights still counts the padding",
                ),
                Check(
                    "is finite for logits of +-1e4",
                    matches(reference_mlm_loss),
                    inputs=huge_logits,
                    examples=PROPERTY_EXAMPLES,
                    hint="subtract the max before exp: logsumexp(x) = m + log(sum(exp(x - m)))",
                    hint_when=NON_FINITE,
                ),
                Property(
                    "ignores the logits and labels of weight-0 slots",
                    zero_weight_slots_change_nothing,
                    inputs=with_redrawn_padding,
                    hint="multiply each slot's loss by its weight before summing",
                    gated=True,
                ),
                Property(
                    "is 0 when every weight is 0",
                    zero_weights_give_zero,
                    inputs=all_zero_weights,
                    hint="divide by sum(weights) + 1e-8: 0 / 0 is nan",
                    gated=True,
                ),
            ),
        ),
        Function(
            "nsp_pairs",
            document_inputs,
            points=2,
            reference=reference_nsp_pairs,
            reference_name="the RNG contract's draws c, j, then d2l's _get_next_sentence pair by pair",
            efficiency=Efficiency(large_document, factor=20, public=False,  # the reference is a loop itself
                                  why="where and indexing: 1x; a loop over the 7999 pairs 200x", hint="a Python loop over the pairs? "
                                  "Use whole-tensor operations"),
            checks=(
                Check(
                    "keeps d2l's quirk: a random sentence that is the true next one is labelled False",
                    keeps_the_quirk,
                    inputs=quirk_example,
                    examples=1,
                    hint="is_next is c < 0.5, never a comparison of the sentences: a random draw may pick s_{i+1} and stays False",
                ),
                Check(
                    "pairs the next sentence half of the time, else one drawn uniformly from all N (20,000 pairs)",
                    next_half_the_time_else_uniform,
                    inputs=long_document,
                    examples=1,
                    hint="True where c < 0.5 with s_{i+1}; else s_j with j = randint(0, N), over the whole document",
                ),
                Property(
                    "starts pair i with s_i, and a pair labelled True holds s_{i+1}",
                    first_sentences_in_order,
                    hint="first = sentences[:-1]; second = sentences[i + 1] where is_next, sentences[j] elsewhere",
                    gated=True,
                ),
            ),
            hint="two draws from `generator`, in this order: c = rand(N - 1), then j = randint(0, N, (N - 1,))",
            dtypes=(torch.float32,),  # integer inputs only: one run
        ),
    ),
    forbidden=(
        "torch.nn.functional.embedding",
        "torch.nn.Embedding",
        "torch.embedding",
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss",
        "torch.nn.CrossEntropyLoss",
        "torch.nn.NLLLoss",
        "torch.nn.functional.log_softmax",
        "torch.log_softmax",
        "torch.special.log_softmax",
        "torch.Tensor.log_softmax",
        "torch.nn.LogSoftmax",
        "random",
        "numpy.random",
    ),
)

test_public = public_tests(ASSIGNMENT)
