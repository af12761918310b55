"""Public tests for assignment 18 (capstone 2: a tiny Transformer that reverses digit strings).

Each graded function is described once below: how its inputs are drawn, what it must agree
with, and the properties it must have. The reference network is built from PyTorch's own
nn.TransformerEncoderLayer and nn.TransformerDecoderLayer, loaded with your parameters. The
accuracy test trains your network once on the 2000 training strings and decodes the 500 test
strings greedily with that reference network. Run: pytest assignments/18
"""

import dataclasses
import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from datasets import reversal_tensors
from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import seeded

SEEDS = st.integers(0, 2**31 - 1)
PAD, BOS, EOS = 0, 1, 2  # the digits 0..9 are the tokens 3..12
VOCAB_SIZE, D_MODEL, NUM_HEADS, FFN_HIDDEN, MAX_LEN = 13, 32, 4, 64, 7
STEPS = 200  # train(seed, src=..., tgt=..., steps=STEPS) on the 2000 training strings
REQUIRED_EXACT_MATCH = 0.9  # of the 500 test strings, every token right (EOS included)
_E, _F = D_MODEL, FFN_HIDDEN
_ATTENTION = {"in_proj_weight": (3 * _E, _E), "in_proj_bias": (3 * _E,), "out_proj.weight": (_E, _E), "out_proj.bias": (_E,)}
_FFN = {"linear1.weight": (_F, _E), "linear1.bias": (_F,), "linear2.weight": (_E, _F), "linear2.bias": (_E,)}
_NORM = {"weight": (_E,), "bias": (_E,)}
PARAM_SHAPES = {
    "embedding.weight": (VOCAB_SIZE, _E),
    **{f"encoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"encoder.{k}": v for k, v in _FFN.items()},
    **{f"encoder.norm{i}.{k}": v for i in (1, 2) for k, v in _NORM.items()},
    **{f"decoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.multihead_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.{k}": v for k, v in _FFN.items()},
    **{f"decoder.norm{i}.{k}": v for i in (1, 2, 3) for k, v in _NORM.items()},
    "output.weight": (VOCAB_SIZE, _E),
    "output.bias": (VOCAB_SIZE,),
}
WEIGHTS = tuple(name for name, shape in PARAM_SHAPES.items() if len(shape) == 2)  # fan_in = shape[1]
NORMS = tuple(name for name in PARAM_SHAPES if ".norm" in name)
BIASES = tuple(name for name in PARAM_SHAPES if name.endswith("bias") and name not in NORMS)
# Two attention blocks, a feed-forward layer and three layer norms deep: a correct float32
# answer computed in another order can differ from PyTorch's layers by a few 1e-5 relative.
NETWORK_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5), torch.float64: Tolerance(1e-7, 1e-9)}

# ---------------------------------------------------------------- the reference network


def reference_layers(params: dict) -> tuple[nn.TransformerEncoderLayer, nn.TransformerDecoderLayer]:
    """PyTorch's own layers holding `params` (made on meta, so nothing is drawn, then given the tensors),
    in training mode (the inference fast path is close to, not equal to, the plain computation), dropout 0."""
    layers = []
    for prefix, kind in (("encoder.", nn.TransformerEncoderLayer), ("decoder.", nn.TransformerDecoderLayer)):
        layer = kind(D_MODEL, NUM_HEADS, FFN_HIDDEN, dropout=0.0, batch_first=True, norm_first=False, device="meta")
        layer.load_state_dict({k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}, assign=True)
        layers.append(layer.train())
    return tuple(layers)


@lru_cache(maxsize=16)
def sinusoids(length: int, d_model: int) -> torch.Tensor:
    """P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(p / 10000^(2i/d)), one entry at a time, as 08's float32 table."""
    P = torch.zeros(length, d_model, dtype=torch.float64)
    for p in range(length):
        for i in range(0, d_model, 2):
            P[p, i] = math.sin(p / 10000 ** (i / d_model))
            P[p, i + 1] = math.cos(p / 10000 ** (i / d_model))
    return P.float()


def embedded(tokens, table, P):
    return F.embedding(tokens, table) * math.sqrt(D_MODEL) + P[: tokens.shape[1]]


def reference_encode(src, params, layers):
    P = sinusoids(src.shape[1], D_MODEL).to(params["embedding.weight"].dtype)
    return layers[0](embedded(src, params["embedding.weight"], P), src_key_padding_mask=src == PAD)


def reference_decode(memory, src, dec_in, params, layers):
    T = dec_in.shape[1]
    P = sinusoids(T, D_MODEL).to(params["embedding.weight"].dtype)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)  # True: query t must not see key j > t
    h = layers[1](embedded(dec_in, params["embedding.weight"], P), memory, tgt_mask=causal, memory_key_padding_mask=src == PAD)
    return F.linear(h, params["output.weight"], params["output.bias"])


def reference_forward(src, dec_in, params):
    """The network with F.embedding, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer and F.linear."""
    layers = reference_layers(params)
    return reference_decode(reference_encode(src, params, layers), src, dec_in, params, layers)


def reference_greedy(src, params, max_len=MAX_LEN):
    """Greedy decoding with the reference network; every position after a row's first EOS set to PAD, row by row."""
    layers = reference_layers(params)
    tokens = torch.full((src.shape[0], 1), BOS, dtype=torch.int64)
    with torch.no_grad():
        memory = reference_encode(src, params, layers)
        for _ in range(max_len):
            logits = reference_decode(memory, src, tokens, params, layers)[:, -1]
            tokens = torch.cat([tokens, logits.argmax(dim=-1, keepdim=True)], dim=1)
    tokens = tokens[:, 1:]
    for row in tokens:
        ends = (row == EOS).nonzero()
        if len(ends):
            row[int(ends[0]) + 1 :] = PAD
    return tokens


@lru_cache(maxsize=2)
def reversal(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    return reversal_tensors(split)


def held_out_scores(params: dict) -> tuple[float, float]:
    """(exact-match, token accuracy) of greedy decoding with the reference network on the 500 test strings."""
    src, tgt = reversal("test")
    predicted = reference_greedy(src, {k: v.to(torch.float32) for k, v in params.items()})
    return (predicted == tgt).all(dim=1).double().mean().item(), (predicted == tgt).double().mean().item()


def reference_loss(params: dict, src, tgt) -> float:
    """The mean cross-entropy per real target token (EOS included, padding not) under teacher forcing."""
    dec_in = torch.cat([torch.full((len(tgt), 1), BOS), tgt[:, :-1]], dim=1)
    with torch.no_grad():
        logits = reference_forward(src, dec_in, {k: v.to(torch.float32) for k, v in params.items()})
    return F.cross_entropy(logits.transpose(1, 2), tgt, ignore_index=PAD).item()


# ---------------------------------------------------------------- inputs


def random_params(rng: np.random.Generator, dtype: torch.dtype, eos_bias: float = 0.0) -> dict[str, torch.Tensor]:
    """Parameters of every shape: weights about 1/sqrt(fan_in) (a little more, so that the logits are spread),
    layer norms with non-trivial scales and shifts, non-zero biases; `eos_bias` added to EOS's output bias."""
    params = {}
    for name, shape in PARAM_SHAPES.items():
        if name in WEIGHTS:
            values = rng.standard_normal(shape) * rng.uniform(0.7, 1.5) / math.sqrt(shape[1])
        elif name in NORMS and name.endswith("weight"):
            values = rng.uniform(0.5, 1.5, shape)
        else:
            values = rng.normal(0.0, 0.3, shape)
        params[name] = torch.from_numpy(np.asarray(values)).to(dtype)
    params["output.bias"][EOS] += eos_bias
    return params


def token_rows(rng: np.random.Generator, n: int, length: int, padded: bool) -> torch.Tensor:
    """(n, length) int64: tokens 1..12 (BOS, EOS and digits), then PAD after a random number (>= 1) of them when `padded`."""
    tokens = rng.integers(1, VOCAB_SIZE, (n, length))
    if padded:
        real = rng.integers(1, length + 1, n)
        tokens[np.arange(length)[None, :] >= real[:, None]] = PAD
    return torch.from_numpy(tokens)


@st.composite
def network_calls(draw, dtype):
    """forward(src (N, S), dec_in (N, T), params): every source holds at least one real token, most rows some padding."""
    rng = np.random.default_rng(draw(SEEDS))
    N, S, T = draw(st.integers(1, 4)), draw(st.integers(1, 9)), draw(st.integers(1, 8))
    src = token_rows(rng, N, S, padded=draw(st.booleans()))
    dec_in = torch.from_numpy(rng.integers(0, VOCAB_SIZE, (N, T)))
    dec_in[:, 0] = BOS
    extra = {"new_tail": torch.from_numpy(rng.integers(0, VOCAB_SIZE, (N, T))), "cut": draw(st.integers(0, T - 1)), "more_padding": draw(st.integers(1, 3))}
    return Call((src, dec_in, random_params(rng, dtype)), extra=extra)


@st.composite
def decode_calls(draw, dtype, max_lens=(None, None, 1, 3, 7, 9)):
    """greedy_decode(src (N, S), params[, max_len]); EOS's output bias raised now and then, so that rows end early.

    Graded in float64: two logits of random parameters can lie within float32's rounding of each
    other, where honest code may pick either; in float64 that never happens in practice."""
    rng = np.random.default_rng(draw(SEEDS))
    N, S = draw(st.integers(1, 5)), draw(st.integers(1, 8))
    src = token_rows(rng, N, S, padded=draw(st.booleans()))
    max_len = draw(st.sampled_from(max_lens))
    params = random_params(rng, dtype, draw(st.sampled_from([0.0, 1.0, 2.0])))
    return Call((src, params), {} if max_len is None else {"max_len": max_len})


@st.composite
def seeds(draw, dtype):
    return Call((draw(st.integers(0, 2**31 - 2)),), seed=draw(SEEDS))


@st.composite
def short_runs(draw, dtype, size=32, steps=(0, 1, 3)):
    """train on `size` training strings (a drawn subset) for a few steps: cheap."""
    src, tgt = reversal("train")
    index = torch.from_numpy(np.random.default_rng(draw(SEEDS)).permutation(len(src))[:size])
    return Call((draw(st.integers(0, 2**31 - 1)),), {"src": src[index], "tgt": tgt[index], "steps": draw(st.sampled_from(steps))}, seed=draw(SEEDS))


def thirty_steps(dtype):
    """64 strings for 30 steps: long enough for the loss to fall well below where it starts (about 3.0 to 2.0)."""
    return short_runs(dtype, size=64, steps=(30,))


@st.composite
def full_training(draw, dtype):
    src, tgt = reversal("train")
    return Call((draw(st.integers(0, 2**31 - 1)),), {"src": src, "tgt": tgt, "steps": STEPS}, seed=draw(SEEDS))


# ---------------------------------------------------------------- helpers


def assert_layout(out, shape, dtype, what: str = "output") -> None:
    if type(out) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    if out.dtype != dtype:
        raise AssertionError(f"{what}: expected dtype {dtype}, got {out.dtype}")


def assert_params(params, dtype: torch.dtype = torch.float32, what: str = "params") -> None:
    if not isinstance(params, dict) or set(params) != set(PARAM_SHAPES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        missing = sorted(set(PARAM_SHAPES) - set(params)) if isinstance(params, dict) else []
        raise AssertionError(f"{what}: expected a dict with the keys of PARAM_SHAPES, got {got!r:.300}" + (f" (missing {missing[:3]})" if missing else ""))
    for name, shape in PARAM_SHAPES.items():
        assert_layout(params[name], shape, dtype, f"{what}[{name!r}]")
        if not torch.isfinite(params[name]).all():
            raise AssertionError(f"{what}[{name!r}] holds nan or inf")


# ---------------------------------------------------------------- init_params


def has_every_parameter(t: Trial) -> None:
    assert_params(t.output)


def norms_and_biases_start_neutral(t: Trial) -> None:
    params = t.output
    assert_params(params)
    for name in NORMS + BIASES:
        value = 1 if name in NORMS and name.endswith("weight") else 0
        if not torch.equal(params[name], torch.full_like(params[name], value)):
            raise AssertionError(f"{name} must start at {value} everywhere, got {params[name][:4].tolist()}...")


def weights_scaled_to_fan_in(t: Trial) -> None:
    params = t.output
    assert_params(params)
    for name in WEIGHTS:
        fan_in = PARAM_SHAPES[name][1]
        values = params[name].double() * math.sqrt(fan_in)  # standard deviation 1 where it is 1/sqrt(fan_in)
        if not 0.25 <= values.std().item() <= 3.0:
            raise AssertionError(
                f"{name} has standard deviation {values.std().item():.3g}/sqrt(fan_in) (fan_in = {fan_in}, its number of "
                "columns); use random values with a standard deviation between 0.25 and 3 times 1/sqrt(fan_in)"
            )
        if not abs(values.mean().item()) <= 0.25:  # 5 standard errors of the mean of the smallest matrix, 13 x 32
            raise AssertionError(f"{name} has mean {values.mean().item():.3g}/sqrt(fan_in): draw weights centred at 0")


def depends_on_seed_only(t: Trial) -> None:
    (seed,) = t.call.args
    first = t.output
    assert_params(first)
    again = t.run(dataclasses.replace(t.call, seed=t.call.seed + 1))  # another state of torch's global generator
    if any(not torch.equal(first[k], again[k]) for k in WEIGHTS):
        raise AssertionError("init_params(seed) changed with torch's global generator: draw from torch.Generator().manual_seed(seed)")
    other = t.run(t.call.replace(seed + 1))
    if all(torch.equal(first[k], other[k]) for k in WEIGHTS):
        raise AssertionError("init_params gave the same weights for two different seeds")


# ---------------------------------------------------------------- forward


def output_shape(t: Trial) -> None:
    src, dec_in, params = t.call.args
    assert_layout(t.output, (src.shape[0], dec_in.shape[1], VOCAB_SIZE), params["embedding.weight"].dtype, "logits")


def causal(t: Trial) -> None:
    src, dec_in, params = t.call.args
    cut = t.call.extra["cut"]
    changed = torch.cat([dec_in[:, :cut], t.call.extra["new_tail"][:, cut:]], dim=1)
    if torch.equal(changed, dec_in):
        return
    out = t.run(t.call.replace(src, changed, params))
    t.assert_close(out[:, :cut], t.output[:, :cut], f"logits[:, :{cut}] after changing dec_in[:, {cut}:] (they must not see later tokens)")


def padding_is_ignored(t: Trial) -> None:
    src, dec_in, params = t.call.args
    longer = torch.cat([src, torch.full((src.shape[0], t.call.extra["more_padding"]), PAD)], dim=1)
    out = t.run(t.call.replace(longer, dec_in, params))
    t.assert_close(out, t.output, f"logits with {t.call.extra['more_padding']} more PAD column(s) at the end of src")


# ---------------------------------------------------------------- greedy_decode


def decoded_shape(t: Trial) -> None:
    src = t.call.args[0]
    assert_layout(t.output, (src.shape[0], t.call.kwargs.get("max_len", MAX_LEN)), torch.int64, "tokens")


def shorter_is_a_prefix(t: Trial) -> None:
    src, params = t.call.args
    full = t.output
    length = t.call.kwargs.get("max_len", MAX_LEN)
    if length < 2:
        return
    shorter = t.run(t.call.replace(src, params, max_len=length - 2 if length > 2 else 1))
    if not torch.equal(shorter, full[:, : shorter.shape[1]]):
        raise AssertionError(
            f"greedy_decode(max_len={shorter.shape[1]}) gave {shorter.tolist()}, not the first {shorter.shape[1]} tokens of "
            f"max_len={length}: {full.tolist()}"
        )


# ---------------------------------------------------------------- train


def returns_params(t: Trial) -> None:
    assert_params(t.output)


def loss_falls(t: Trial) -> None:
    src, tgt = t.call.kwargs["src"], t.call.kwargs["tgt"]
    params = t.output
    assert_params(params)
    start = t.run(t.call.replace(steps=0))
    assert_params(start, what="params after 0 steps")
    before, after = reference_loss(start, src, tgt), reference_loss(params, src, tgt)
    if not after < 0.9 * before:
        raise AssertionError(f"the training loss on the 64 strings went from {before:.3f} (0 steps) to {after:.3f} after 30 steps")


def reaches_the_bar(t: Trial) -> None:
    params = t.output
    assert_params(params)
    exact, tokens = held_out_scores(params)
    if not exact >= REQUIRED_EXACT_MATCH:
        raise AssertionError(
            f"greedy decoding reversed {exact:.1%} of the 500 test strings exactly (token accuracy {tokens:.1%}) after "
            f"{STEPS} steps; at least {REQUIRED_EXACT_MATCH:.0%} is required"
        )


# ---------------------------------------------------------------- large inputs (the efficiency checks)


@seeded
def large_network(g, dtype):
    """forward on 512 pairs of 7 tokens: the network runs once on the batch; a loop over the pairs runs it 512 times."""
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, (), generator=g)))
    return Call((token_rows(rng, 512, 7, padded=True), token_rows(rng, 512, 7, padded=False), random_params(rng, dtype)))


@seeded
def large_decoding(g, dtype):
    """greedy_decode on 128 sources: 7 steps of the network on the batch; a loop over the sources makes 896 steps.
    float64 parameters whatever the check's dtype, so that no choice is a near-tie (see decode_calls)."""
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, (), generator=g)))
    return Call((token_rows(rng, 128, 7, padded=True), random_params(rng, torch.float64, 1.0)))


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="18",
    module="capstone2",
    title="capstone 2: a tiny Transformer that reverses digit strings",
    functions=(
        Function(
            "init_params",
            seeds,
            points=1,
            checks=(
                Check("returns every parameter of PARAM_SHAPES in float32", has_every_parameter, hint="one tensor per name of PARAM_SHAPES, of that shape", gated=True),
                Check(
                    "starts every layer norm at weight 1 and bias 0, and every other bias at 0",
                    norms_and_biases_start_neutral,
                    examples=3,
                ),
                Check(
                    "draws weights centred at 0 with a standard deviation of about 1/sqrt(fan_in)",
                    weights_scaled_to_fan_in,
                    examples=5,
                    hint="torch.randn(shape, generator=g) / math.sqrt(shape[1]), the embedding table too: N(0, 1) "
                    "embeddings, scaled by sqrt(32), drown the positional encoding",
                ),
                Check(
                    "depends on its seed only",
                    depends_on_seed_only,
                    examples=5,
                    hint="g = torch.Generator().manual_seed(seed), then pass generator=g to torch.randn",
                ),
            ),
            dtypes=(torch.float32,),
            deterministic=False,
            meta=False,
        ),
        Function(
            "forward",
            network_calls,
            points=3,
            reference=reference_forward,
            reference_name="the same network built from nn.TransformerEncoderLayer and nn.TransformerDecoderLayer",
            tolerance=NETWORK_TOLERANCE,
            efficiency=Efficiency(
                large_network,
                factor=10,
                why="10: the network on 512 pairs takes about 13 ms (under the op recorder); a loop over the pairs in the encoder alone costs 20x, "
                "and honest rewrites (einsum projections, separate q, k, v products, 08's additive masks) stay within 2x",
            ),
            checks=(
                Check("returns logits (N, T, 13) in the params' dtype", output_shape, hint="one row of 13 logits per decoder position", gated=True),
                Check(
                    "is causal: logits[:, :t] do not depend on dec_in[:, t:]",
                    causal,
                    hint="the decoder's self-attention needs causal_mask(T): True ABOVE the diagonal (key j > query i)",
                    gated=True,
                ),
                Check(
                    "ignores PAD in the source: more PAD columns change nothing",
                    padding_is_ignored,
                    hint="pass key_padding_mask = (src == PAD) to the encoder's self-attention AND to the decoder's cross-attention",
                    gated=True,
                ),
            ),
        ),
        Function(
            "greedy_decode",
            decode_calls,
            points=2,
            reference=reference_greedy,
            reference_name="greedy decoding with the reference network",
            efficiency=Efficiency(
                large_decoding,
                factor=10,
                why="10: 7 steps of the network on 128 sources take about 35 ms (float64, recorded); a loop over the sources costs 40x "
                "and more; an honest rewrite (a finished flag kept per step) stays within 1.5x",
            ),
            checks=(
                Check("returns (N, max_len) int64 tokens", decoded_shape, hint="max_len tokens per row, BOS not included", gated=True),
                Check(
                    "decoding fewer steps gives the first tokens of a longer decoding",
                    shorter_is_a_prefix,
                    hint="each step appends the argmax of the LAST position's logits; nothing looks ahead",
                    gated=True,
                ),
            ),
            dtypes=(torch.float64,),
            max_examples=10,
        ),
        Function(
            "train",
            short_runs,
            points=4,
            checks=(
                Check(
                    "returns every parameter of PARAM_SHAPES after 0, 1 or 3 steps on 32 strings",
                    returns_params,
                    examples=3,
                    hint="return a dict of detached float32 tensors, one per name of PARAM_SHAPES",
                    gated=True,
                    recorded=True,  # the runtime check of what training runs: the full training below is not recorded
                ),
                Check(
                    "lowers the training loss over 30 steps on 64 strings",
                    loss_falls,
                    inputs=thirty_steps,
                    examples=1,
                    hint="check the sign of your update, the learning rate (Adam, 5e-3 after a warm-up) and that the "
                    "decoder's input is teacher_forcing_inputs(tgt, BOS)",
                    gated=True,
                ),
                Check(
                    f"reverses {REQUIRED_EXACT_MATCH:.0%} of the 500 test strings exactly after {STEPS} steps",
                    reaches_the_bar,
                    inputs=full_training,
                    examples=1,
                    hint="Adam with lr 5e-3 and betas (0.9, 0.98), a 50-step warm-up then cosine decay, batches of 64; "
                    "the grader's network must match your forward (test it first), and your greedy_decode should agree",
                    # not recorded: the op recorder triples the time of a training; the short runs above record the same code
                    recorded=False,
                ),
            ),
            dtypes=(torch.float32,),
            deterministic=False,
            meta=False,
            max_examples=3,
        ),
    ),
    forbidden=(
        "torch.nn", "torch.optim", "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.special.softmax",
        "torch.special.log_softmax", "torch.special.logsumexp", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
        "torch.Tensor.logsumexp", "torch.logcumsumexp", "torch.Tensor.logcumsumexp", "torch.distributions",
        "torch.layer_norm", "torch.native_layer_norm", "torch.group_norm", "torch.batch_norm", "torch.instance_norm",
        "torch.rms_norm", "torch.embedding",
        # inside torch.nn, but named so that python -m kit.forbidden measures their kernels for the runtime check
        "torch.nn.functional.scaled_dot_product_attention", "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.functional.layer_norm", "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
        "torch.nn.functional.log_softmax", "torch.nn.functional.softmax", "torch.nn.functional.embedding",
    ),
)

test_public = public_tests(ASSIGNMENT)
