"""Public tests for assignment 09 (optimizers and schedules).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/09

Every update rule is compared with the torch.optim class it re-implements: one step from a
drawn state, and whole runs of 50 steps on a noisy quadratic loss
0.5 * sum(a * (w - c)^2), where each step feeds your returned config back into your rule
and torch.optim takes the same step from the same w and gradient.
"""

import inspect
import math
from dataclasses import dataclass
from functools import partial

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function
from kit.strategies import floats, randn, seeded, shapes, tensors

STEPS = 50  # steps of a trajectory check
TRAJECTORY_SCALE = 10  # tolerance factor over a run: other operation orders round differently


@dataclass(frozen=True)
class Rule:
    optimizer: type
    hyper: tuple[str, ...]  # the hyper-parameters the rule reads
    state: tuple[str, ...]  # torch.optim's state names
    values: dict  # hyper-parameter values the tests draw from
    overrides: tuple = ()  # defaults that differ from torch.optim's

    def defaults(self) -> dict:
        params = inspect.signature(self.optimizer.__init__).parameters
        found = {name: params[name].default for name in self.hyper}
        found.update(self.overrides)
        return {k: tuple(float(x) for x in v) if isinstance(v, tuple) else float(v) for k, v in found.items()}


LR = (1e-3, 1e-2, 0.1)
DECAY = (0.0, 1e-2, 0.1)
BETAS = ((0.9, 0.999), (0.8, 0.99), (0.5, 0.9))
RULES = {
    "sgd": Rule(torch.optim.SGD, ("lr", "weight_decay"), (), {"lr": LR, "weight_decay": DECAY}),
    "sgd_momentum": Rule(
        torch.optim.SGD, ("lr", "momentum", "weight_decay"), ("momentum_buffer",),
        {"lr": LR, "momentum": (0.5, 0.9, 0.99), "weight_decay": DECAY}, overrides=(("momentum", 0.9),),
    ),
    "adagrad": Rule(
        torch.optim.Adagrad, ("lr", "eps", "weight_decay"), ("sum", "step"),
        {"lr": LR, "eps": (1e-10, 1e-3, 0.1, 1.0), "weight_decay": DECAY},
    ),
    "rmsprop": Rule(
        torch.optim.RMSprop, ("lr", "alpha", "eps", "weight_decay"), ("square_avg", "step"),
        {"lr": LR, "alpha": (0.99, 0.9, 0.5), "eps": (1e-8, 1e-3, 0.1, 1.0), "weight_decay": DECAY},
    ),
    "adadelta": Rule(
        torch.optim.Adadelta, ("lr", "rho", "eps", "weight_decay"), ("square_avg", "acc_delta", "step"),
        {"lr": (1.0, 0.5), "rho": (0.9, 0.5), "eps": (1e-6, 1e-3, 0.1), "weight_decay": DECAY},
    ),
    "adam": Rule(
        torch.optim.Adam, ("lr", "betas", "eps", "weight_decay"), ("exp_avg", "exp_avg_sq", "step"),
        {"lr": LR, "betas": BETAS, "eps": (1e-8, 1e-3, 0.1, 1.0), "weight_decay": DECAY},
    ),
    "adamw": Rule(
        torch.optim.AdamW, ("lr", "betas", "eps", "weight_decay"), ("exp_avg", "exp_avg_sq", "step"),
        {"lr": LR, "betas": BETAS, "eps": (1e-8, 1e-3, 0.1, 1.0), "weight_decay": DECAY},
    ),
}
STATE_RANGES = {
    "momentum_buffer": (-3.0, 3.0),
    "sum": (0.0, 10.0),
    "square_avg": (0.0, 10.0),
    "acc_delta": (0.0, 2.0),
    "exp_avg": (-3.0, 3.0),
    "exp_avg_sq": (0.0, 10.0),
}

# ---------------------------------------------------------------- torch.optim as the reference


def torch_optimizer(name: str, config: dict | None, p: torch.Tensor) -> torch.optim.Optimizer:
    """torch.optim's optimizer for rule `name`, hyper-parameters from `config` (defaults
    otherwise), its state loaded from `config` when there is one."""
    rule, config = RULES[name], config or {}
    hyper = {**rule.defaults(), **{k: config[k] for k in rule.hyper if k in config}}
    opt = rule.optimizer([p], **hyper, foreach=False)
    if rule.state and rule.state[0] in config:
        state = {k: config[k].detach().clone() for k in rule.state if k != "step"}
        if "step" in rule.state:
            state["step"] = torch.tensor(float(config["step"]))
        opt.state[p].update(state)
    return opt


def torch_state(name: str, opt: torch.optim.Optimizer, p: torch.Tensor) -> dict:
    state = opt.state[p]
    return {k: int(state[k].item()) if k == "step" else state[k].detach().clone() for k in RULES[name].state}


def torch_step(name: str, w, dw, config=None):
    """One step of torch.optim, returned as the rule must return it: (next_w, next_config)."""
    p = w.detach().clone().requires_grad_(True)
    opt = torch_optimizer(name, config, p)
    p.grad = dw.detach().clone()
    opt.step()
    hyper = {**RULES[name].defaults(), **(config or {})}
    return p.detach().clone(), {**hyper, **torch_state(name, opt, p)}


# ---------------------------------------------------------------- inputs


@st.composite
def hyper_parameters(draw, name: str, required: tuple[str, ...] = (), **fixed) -> dict:
    """A random subset of the rule's hyper-parameters (the others are left to the defaults)."""
    rule = RULES[name]
    config = {}
    for key in rule.hyper:
        if key in fixed:
            config[key] = fixed[key]
        elif key in required or draw(st.booleans()):
            config[key] = draw(st.sampled_from(rule.values[key]))
    return config


@st.composite
def one_step(draw, dtype, name):
    """rule(w, dw, config): config None, or some hyper-parameters and maybe a state from
    earlier steps (all state entries, consistent with each other)."""
    shape = draw(shapes(1, 2, 1, 4))
    w = draw(tensors(shape, dtype, -3, 3))
    dw = draw(tensors(shape, dtype, -3, 3))
    if draw(st.integers(0, 4)) == 0:
        return Call((w, dw))
    config = draw(hyper_parameters(name))
    if RULES[name].state and draw(st.booleans()):
        for key in RULES[name].state:
            config[key] = draw(st.integers(1, 30)) if key == "step" else draw(tensors(shape, dtype, *STATE_RANGES[key]))
    return Call((w, dw), {"config": config})


@st.composite
def quadratic_run(draw, dtype, name, decay=False, defaults=False):
    """A run on 0.5 * sum(a * (w - c)^2) + noise: the first call, the loss in `extra`.

    `decay`: weight_decay drawn > 0; otherwise 0. `defaults`: no config at all.
    """
    shape = draw(shapes(1, 2, 1, 3))
    w0 = draw(tensors(shape, dtype, -2, 2))
    a = draw(tensors(shape, dtype, 0.125, 2))
    c = draw(tensors(shape, dtype, -2, 2))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    noise = (0.1 * torch.randn((STEPS, *shape), generator=g, dtype=torch.float64)).to(dtype)
    extra = {"a": a, "c": c, "noise": noise}
    dw0 = a * (w0 - c) + noise[0]
    if defaults:
        return Call((w0, dw0), extra=extra)
    lrs = (1.0, 0.5) if name == "adadelta" else (1e-2, 0.1)
    config = draw(hyper_parameters(name, required=("lr",), lr=draw(st.sampled_from(lrs)),
                                   weight_decay=draw(st.sampled_from((0.1, 0.5))) if decay else 0.0))
    return Call((w0, dw0), {"config": config}, extra=extra)


# ---------------------------------------------------------------- properties


def unpack(t: Trial, output) -> tuple:
    if not isinstance(output, (tuple, list)) or len(output) != 2 or not isinstance(output[1], dict):
        raise AssertionError("return a tuple (next_w, config) with config a dict")
    return tuple(output)


def trajectory_matches(t: Trial) -> None:
    """Feed the returned config back STEPS times; torch.optim takes each step from the same w."""
    name = t.function.name
    a, c, noise = t.call.extra["a"], t.call.extra["c"], t.call.extra["noise"]
    w, config = t.call.args[0], t.call.kwargs.get("config")
    p = w.detach().clone().requires_grad_(True)
    opt = torch_optimizer(name, config, p)
    for k in range(STEPS):
        dw = a * (w - c) + noise[k]
        call = Call((w, dw), {} if config is None else {"config": config})
        next_w, config = unpack(t, t.run(call))
        with torch.no_grad():
            p.copy_(w)
        p.grad = dw.clone()
        opt.step()
        try:
            t.assert_close(next_w, p.detach().clone(), f"w after step {k + 1} of {STEPS}", scale=TRAJECTORY_SCALE)
        except AssertionError as error:
            raise AssertionError(f"{error} The call of that step: {call.render(name)}") from None
        w = next_w
    expected = torch_state(name, opt, p)
    missing = sorted(set(expected) - set(config))
    if missing:
        raise AssertionError(f"the returned config has no {', '.join(map(repr, missing))} (torch.optim's state names)")
    t.assert_close({k: config[k] for k in expected}, expected, f"state after {STEPS} steps", scale=TRAJECTORY_SCALE)


def defaults_match(t: Trial) -> None:
    """config=None, then the returned configs: torch.optim with the rule's defaults."""
    name = t.function.name
    a, c, noise = t.call.extra["a"], t.call.extra["c"], t.call.extra["noise"]
    w, config = t.call.args[0], None
    p = w.detach().clone().requires_grad_(True)
    opt = torch_optimizer(name, None, p)
    for k in range(3):
        dw = a * (w - c) + noise[k]
        next_w, config = unpack(t, t.run(Call((w, dw), {} if config is None else {"config": config})))
        if k == 0:
            defaults = RULES[name].defaults()
            got = {key: config.get(key) for key in defaults}
            t.assert_close(got, defaults, "hyper-parameters in the config returned for config=None")
        with torch.no_grad():
            p.copy_(w)
        p.grad = dw.clone()
        opt.step()
        t.assert_close(next_w, p.detach().clone(), f"w after step {k + 1} from config=None")
        w = next_w


def config_keys(t: Trial) -> None:
    _, config = unpack(t, t.output)
    given = t.call.kwargs.get("config") or {}
    expected = set(given) | set(RULES[t.function.name].hyper) | set(RULES[t.function.name].state)
    missing, extra = sorted(expected - set(config)), sorted(set(config) - expected)
    if missing or extra:
        raise AssertionError(f"returned config: missing keys {missing}, unexpected keys {extra}")
    if "step" in expected:
        before = given.get("step", 0)
        if type(config["step"]) is not int or config["step"] != before + 1:
            raise AssertionError(f"config['step'] must be the Python int {before + 1}, got {config['step']!r}")


# ---------------------------------------------------------------- warmup_cosine_lr


def reference_schedule(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    fraction = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * fraction))


@st.composite
def schedule_points(draw, dtype, floor=False):
    """warmup_cosine_lr(step, base_lr, warmup_steps, total_steps[, min_lr]): 0 <= warmup <= total."""
    warmup = draw(st.integers(0, 20))
    total = warmup + draw(st.integers(0, 40))
    step = draw(st.integers(0, total + 10))
    base_lr = draw(st.sampled_from([1.0, 0.1, 3e-4]) | floats(torch.float64, 1e-4, 2.0))
    if floor:
        min_lr = draw(floats(torch.float64, base_lr / 100, base_lr * 0.9))
    else:
        min_lr = draw(st.none() | st.just(0.0) | floats(torch.float64, 0.0, base_lr * 0.9))
    return Call((step, base_lr, warmup, total), {} if min_lr is None else {"min_lr": min_lr})


def with_floor(dtype):
    return schedule_points(dtype, floor=True)


def boundaries(t: Trial) -> None:
    _, base_lr, warmup, total = t.call.args
    for step in sorted({0, max(warmup - 1, 0), warmup, (warmup + total) // 2, total, total + 1, total + 7}):
        call = Call((step, base_lr, warmup, total), t.call.kwargs)
        t.assert_close(t.run(call), t.expected(reference_schedule, call), f"learning rate at step {step} (warmup_steps={warmup}, total_steps={total})")


def warmup_rises_then_cosine_falls_to_min_lr(t: Trial) -> None:
    _, base_lr, warmup, total = t.call.args
    min_lr = t.call.kwargs["min_lr"]
    lrs = [t.run(Call((step, base_lr, warmup, total), t.call.kwargs)) for step in range(total + 3)]
    if warmup < total and not math.isclose(lrs[warmup], base_lr, rel_tol=1e-9):
        raise AssertionError(f"at step warmup_steps={warmup} the learning rate must be base_lr={base_lr!r}, got {lrs[warmup]!r}")
    for step in range(total, total + 3):
        if not math.isclose(lrs[step], min_lr, rel_tol=1e-9):
            raise AssertionError(f"at step {step} >= total_steps={total} the learning rate must be min_lr={min_lr!r}, got {lrs[step]!r}")
    rising, falling = lrs[: warmup + 1 if warmup < total else warmup], lrs[warmup : total + 1]
    if any(x > y for x, y in zip(rising, rising[1:], strict=False)) or any(x < y - 1e-12 for x, y in zip(falling, falling[1:], strict=False)):
        raise AssertionError("the learning rate must rise during warm-up and fall from base_lr to min_lr afterwards")


# ---------------------------------------------------------------- large inputs (the efficiency check)


def large_step(name: str):
    """rule(w (16384, 4), dw, {"lr": ...}): an update is a few elementwise operations on whole tensors;
    a Python loop over the rows of w runs them 16384 times."""

    @seeded
    def inputs(g, dtype):
        lr = 0.5 if name == "adadelta" else 0.01
        return Call((randn(g, 16384, 4, dtype=dtype), randn(g, 16384, 4, dtype=dtype)), {"config": {"lr": lr}})

    return inputs


# ---------------------------------------------------------------- the assignment

HINTS = {
    "sgd": "g = dw + weight_decay * w, then w - lr * g; defaults lr=1e-3, weight_decay=0",
    "sgd_momentum": "PyTorch starts with buf = g (no buffer yet), then buf = momentum * buf + g; w - lr * buf",
    "adagrad": "sum += g^2, then w - lr * g / (sqrt(sum) + eps): eps outside the square root",
    "rmsprop": "square_avg = alpha * square_avg + (1 - alpha) * g^2; w - lr * g / (sqrt(square_avg) + eps)",
    "adadelta": "eps goes INSIDE both square roots; update acc_delta with the new delta; lr multiplies the step",
    "adam": "bias-correct both moments with 1 - beta^t (t = 1 on the first step); eps outside the square root",
    "adamw": "decay w itself by (1 - lr * weight_decay); weight_decay * w must not enter the gradient or the moments",
}


def rule_function(name: str, points: float) -> Function:
    class_name = RULES[name].optimizer.__name__
    hint = HINTS[name]
    return Function(
        name,
        partial(one_step, name=name),
        points=points,
        reference=partial(torch_step, name),
        reference_name=f"one step of torch.optim.{class_name}",
        efficiency=Efficiency(large_step(name), factor=20, why="a few whole-tensor operations: honest forms within 1.8x; a loop over the 16384 rows of w 450x and more (sgd, adam)"),
        checks=(
            Check(
                f"a {STEPS}-step run matches torch.optim.{class_name} (weight_decay=0)",
                trajectory_matches,
                inputs=partial(quadratic_run, name=name),
                examples=2,
                dtypes=(torch.float64,),
                hint=hint,
            ),
            Check(
                f"a {STEPS}-step run with weight_decay > 0 matches torch.optim.{class_name}",
                trajectory_matches,
                inputs=partial(quadratic_run, name=name, decay=True),
                examples=2,
                dtypes=(torch.float64,),
                hint=hint,
            ),
            Check(
                "config=None takes the defaults" + (" (momentum=0.9)" if name == "sgd_momentum" else f" of torch.optim.{class_name}"),
                defaults_match,
                inputs=partial(quadratic_run, name=name, defaults=True),
                examples=3,
                dtypes=(torch.float32,),
                hint="missing keys take the defaults of the docstring: torch.optim's (but momentum=0.9 for sgd_momentum)",
            ),
            Check(
                "returns a new config: hyper-parameters and state under torch.optim's names",
                config_keys,
                examples=10,
                dtypes=(torch.float32,),
                hint=f"return every hyper-parameter (defaults filled in) plus {', '.join(RULES[name].state) or 'nothing else'}; step is a Python int",
                gated=True,
            ),
        ),
    )


ASSIGNMENT = Assignment(
    id="09",
    module="optim",
    title="optimizers and schedules",
    functions=(
        rule_function("sgd", 1),
        rule_function("sgd_momentum", 1.5),
        rule_function("adagrad", 1),
        rule_function("rmsprop", 1),
        rule_function("adadelta", 1),
        rule_function("adam", 2),
        rule_function("adamw", 1.5),
        Function(
            "warmup_cosine_lr",
            schedule_points,
            points=1,
            reference=reference_schedule,
            reference_name="linear warm-up then cosine decay to min_lr",
            checks=(
                Check(
                    "is right at step 0, warmup_steps - 1, warmup_steps, total_steps and beyond",
                    boundaries,
                    hint="step < warmup_steps: base_lr * step / warmup_steps (0 at step 0); the cosine starts at step = warmup_steps",
                ),
                Check(
                    "rises to base_lr during warm-up, then falls to min_lr and stays there",
                    warmup_rises_then_cosine_falls_to_min_lr,
                    inputs=with_floor,
                    examples=10,
                    hint="min_lr + (base_lr - min_lr) * (1 + cos(pi * s)) / 2, and min_lr from total_steps on",
                ),
            ),
            dtypes=(torch.float64,),
            meta=False,  # Python numbers in, a Python float out
        ),
    ),
    forbidden=("torch.optim",),
)

test_public = public_tests(ASSIGNMENT)
