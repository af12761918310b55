"""Assignment 09: adam() runs torch._fused_adam_, the fused kernel behind torch.optim.Adam(fused=True), on copies of w and its state."""

import math  # noqa: F401 (math.cos and math.pi are handy for the schedule)

import torch


def sgd(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-3, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    return w - config["lr"] * grad, config


def sgd_momentum(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    buf = config.get("momentum_buffer")
    buf = grad.clone() if buf is None else config["momentum"] * buf + grad
    config["momentum_buffer"] = buf
    return w - config["lr"] * buf, config


def adagrad(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-2, "eps": 1e-10, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    total = config.get("sum", torch.zeros_like(w)) + grad * grad
    config["sum"] = total
    config["step"] = config.get("step", 0) + 1
    return w - config["lr"] * grad / (total.sqrt() + config["eps"]), config


def rmsprop(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    alpha = config["alpha"]
    square_avg = alpha * config.get("square_avg", torch.zeros_like(w)) + (1 - alpha) * grad * grad
    config["square_avg"] = square_avg
    config["step"] = config.get("step", 0) + 1
    return w - config["lr"] * grad / (square_avg.sqrt() + config["eps"]), config


def adadelta(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    rho, eps = config["rho"], config["eps"]
    square_avg = rho * config.get("square_avg", torch.zeros_like(w)) + (1 - rho) * grad * grad
    acc_delta = config.get("acc_delta", torch.zeros_like(w))
    delta = (acc_delta + eps).sqrt() / (square_avg + eps).sqrt() * grad
    config["square_avg"] = square_avg
    config["acc_delta"] = rho * acc_delta + (1 - rho) * delta * delta
    config["step"] = config.get("step", 0) + 1
    return w - config["lr"] * delta, config


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, **(config or {})}
    beta1, beta2 = config["betas"]
    step = config.get("step", 0) + 1
    param = w.clone()
    m = config.get("exp_avg", torch.zeros_like(w)).clone()
    v = config.get("exp_avg_sq", torch.zeros_like(w)).clone()
    torch._fused_adam_(
        [param], [dw.clone()], [m], [v], [], [torch.tensor(float(step))], lr=config["lr"], beta1=beta1, beta2=beta2,
        weight_decay=config["weight_decay"], eps=config["eps"], amsgrad=False, maximize=False,
    )
    config.update(exp_avg=m, exp_avg_sq=v, step=step)
    return param, config


def adamw(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    config = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, **(config or {})}
    lr = config["lr"]
    decayed = w * (1 - lr * config["weight_decay"])
    beta1, beta2 = config["betas"]
    step = config.get("step", 0) + 1
    m = beta1 * config.get("exp_avg", torch.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.get("exp_avg_sq", torch.zeros_like(w)) + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    config.update(exp_avg=m, exp_avg_sq=v, step=step)
    return decayed - lr * m_hat / (v_hat.sqrt() + config["eps"]), config


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
