"""Hidden tests for assignment 09 (optimizers and schedules)."""

from functools import partial

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import optim as solution

STATE = {
    "sgd": (),
    "sgd_momentum": ("momentum_buffer",),
    "adagrad": ("sum", "step"),
    "rmsprop": ("square_avg", "step"),
    "adadelta": ("square_avg", "acc_delta", "step"),
    "adam": ("exp_avg", "exp_avg_sq", "step"),
    "adamw": ("exp_avg", "exp_avg_sq", "step"),
}
HYPER = {
    "lr": 0.05,
    "weight_decay": 0.3,
    "momentum": 0.95,
    "eps": 1e-6,
    "alpha": 0.8,
    "rho": 0.95,
    "betas": (0.95, 0.9999),
}
USED = {
    "sgd": ("lr", "weight_decay"),
    "sgd_momentum": ("lr", "momentum", "weight_decay"),
    "adagrad": ("lr", "eps", "weight_decay"),
    "rmsprop": ("lr", "alpha", "eps", "weight_decay"),
    "adadelta": ("lr", "rho", "eps", "weight_decay"),
    "adam": ("lr", "betas", "eps", "weight_decay"),
    "adamw": ("lr", "betas", "eps", "weight_decay"),
}


@st.composite
def extreme_steps(draw, dtype, name):
    """Larger tensors, gradients from 1e-4 to 1e3, late steps (bias correction near 1) and
    nearly empty second-moment states."""
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    shape = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    w = torch.randn(shape, generator=g, dtype=dtype) * 3
    dw = torch.randn(shape, generator=g, dtype=dtype) * draw(st.sampled_from([1e-4, 1.0, 1e3]))
    config = {k: HYPER[k] for k in USED[name] if draw(st.booleans())}
    if STATE[name] and draw(st.booleans()):
        for key in STATE[name]:
            if key == "step":
                config[key] = draw(st.sampled_from([1, 2, 1000]))
            elif key in ("exp_avg_sq", "square_avg", "sum", "acc_delta"):
                config[key] = torch.rand(shape, generator=g, dtype=dtype) * draw(st.sampled_from([1e-8, 1.0]))
            else:
                config[key] = torch.randn(shape, generator=g, dtype=dtype)
    return Call((w, dw), {"config": config})


@st.composite
def long_schedules(draw, dtype):
    """Schedules of up to 10^4 steps: no warm-up, warm-up as long as the run, far beyond the end."""
    total = draw(st.integers(0, 10_000))
    warmup = draw(st.sampled_from([0, total, total // 10, min(total, 1)]))
    step = draw(st.sampled_from([0, 1, warmup, warmup + 1, total - 1, total, 10 * total + 3]) | st.integers(0, total + 5))
    base_lr = draw(st.sampled_from([1e-5, 3e-4, 0.1, 10.0]))
    min_lr = draw(st.sampled_from([0.0, base_lr / 1000, base_lr / 2]))
    return Call((max(step, 0), base_lr, warmup, total), {"min_lr": min_lr})


def rule_hidden(name):
    check = agrees_with_solution(getattr(solution, name))
    return (replace_inputs(check, partial(extreme_steps, name=name), "extreme gradients and states"),)


HIDDEN = {name: rule_hidden(name) for name in STATE} | {
    "warmup_cosine_lr": (replace_inputs(agrees_with_solution(solution.warmup_cosine_lr), long_schedules, "long schedules"),),
}
