"""Assignment 09: optimizers and learning-rate schedules.

Each update rule takes the parameter w, its gradient dw and a config dict, and returns the
next parameter and a NEW config dict (CS231n style), with torch.optim's hyper-parameter
names, defaults and state names, so that every rule retraces the matching torch.optim class
step for step. Do not use torch.optim. Never modify w, dw or config: build new ones.

A returned config holds every hyper-parameter the rule reads (the ones missing from `config`
at their defaults) plus the rule's state after this step:
  - tensors of w's shape, dtype and device under torch.optim's state names;
  - "step": the number of steps taken so far, a Python int (1 after the first call).
Any other key of `config` is carried over unchanged. torch.optim options not listed here
(dampening, nesterov, lr_decay, initial_accumulator_value, centered, amsgrad, maximize, ...)
are not part of the assignment: they stay at torch.optim's defaults.
"""

import math  # noqa: F401 (math.cos and math.pi are handy for the schedule)

import torch


def sgd(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """Plain SGD, like torch.optim.SGD without momentum.

    config: "lr" (1e-3), "weight_decay" (0.0). No state.
        g = dw + weight_decay * w        (L2 regularisation folded into the gradient)
        w' = w - lr * g
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-3, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    return w - config["lr"] * grad, config
    ### END SOLUTION


def sgd_momentum(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """SGD with momentum, like torch.optim.SGD(momentum=...) (PyTorch's form, no dampening).

    config: "lr" (1e-3), "momentum" (0.9, unlike torch.optim.SGD's 0), "weight_decay" (0.0);
    state "momentum_buffer".
        g = dw + weight_decay * w
        buf = g                      on the first step (no "momentum_buffer" in config yet)
        buf = momentum * buf + g     afterwards
        w' = w - lr * buf
    (The book writes v = momentum * v - lr * g, w' = w + v: the same trajectory for a fixed lr.)
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    buf = config.get("momentum_buffer")
    buf = grad.clone() if buf is None else config["momentum"] * buf + grad
    config["momentum_buffer"] = buf
    return w - config["lr"] * buf, config
    ### END SOLUTION


def adagrad(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """AdaGrad, like torch.optim.Adagrad.

    config: "lr" (1e-2), "eps" (1e-10), "weight_decay" (0.0); state "sum" (zeros at first),
    "step".
        g = dw + weight_decay * w
        sum = sum + g^2
        w' = w - lr * g / (sqrt(sum) + eps)        (eps outside the square root)
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-2, "eps": 1e-10, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    total = config.get("sum", torch.zeros_like(w)) + grad * grad
    config["sum"] = total
    config["step"] = config.get("step", 0) + 1
    return w - config["lr"] * grad / (total.sqrt() + config["eps"]), config
    ### END SOLUTION


def rmsprop(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """RMSProp, like torch.optim.RMSprop (no momentum, not centered).

    config: "lr" (1e-2), "alpha" (0.99), "eps" (1e-8), "weight_decay" (0.0); state
    "square_avg" (zeros at first), "step".
        g = dw + weight_decay * w
        square_avg = alpha * square_avg + (1 - alpha) * g^2
        w' = w - lr * g / (sqrt(square_avg) + eps)        (eps outside the square root)
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    alpha = config["alpha"]
    square_avg = alpha * config.get("square_avg", torch.zeros_like(w)) + (1 - alpha) * grad * grad
    config["square_avg"] = square_avg
    config["step"] = config.get("step", 0) + 1
    return w - config["lr"] * grad / (square_avg.sqrt() + config["eps"]), config
    ### END SOLUTION


def adadelta(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """AdaDelta, like torch.optim.Adadelta.

    config: "lr" (1.0), "rho" (0.9), "eps" (1e-6), "weight_decay" (0.0); state "square_avg"
    and "acc_delta" (zeros at first), "step".
        g = dw + weight_decay * w
        square_avg = rho * square_avg + (1 - rho) * g^2
        delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g    (eps INSIDE both roots)
        acc_delta = rho * acc_delta + (1 - rho) * delta^2
        w' = w - lr * delta
    """
    ### BEGIN SOLUTION
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
    ### END SOLUTION


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """Adam, like torch.optim.Adam (weight decay as L2: added to the gradient).

    config: "lr" (1e-3), "betas" ((0.9, 0.999)), "eps" (1e-8), "weight_decay" (0.0); state
    "exp_avg", "exp_avg_sq" (zeros at first), "step" (t).
        g = dw + weight_decay * w
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)     (bias correction)
        w' = w - lr * m_hat / (sqrt(v_hat) + eps)                   (eps outside the root)
    """
    ### BEGIN SOLUTION
    config = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, **(config or {})}
    grad = dw + config["weight_decay"] * w
    beta1, beta2 = config["betas"]
    step = config.get("step", 0) + 1
    m = beta1 * config.get("exp_avg", torch.zeros_like(w)) + (1 - beta1) * grad
    v = beta2 * config.get("exp_avg_sq", torch.zeros_like(w)) + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    config.update(exp_avg=m, exp_avg_sq=v, step=step)
    return w - config["lr"] * m_hat / (v_hat.sqrt() + config["eps"]), config
    ### END SOLUTION


def adamw(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """AdamW, like torch.optim.AdamW: Adam with decoupled weight decay.

    config: as adam, but "weight_decay" defaults to 1e-2. The decay shrinks w directly and
    never enters the moments:
        w_decayed = w * (1 - lr * weight_decay)
        m, v, m_hat, v_hat from dw exactly as in adam (without weight decay)
        w' = w_decayed - lr * m_hat / (sqrt(v_hat) + eps)
    """
    ### BEGIN SOLUTION
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
    ### END SOLUTION


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to min_lr, as a Python float (0 <= warmup_steps <= total_steps).

        step < warmup_steps:                 base_lr * step / warmup_steps
        warmup_steps <= step < total_steps:  min_lr + (base_lr - min_lr) * (1 + cos(pi * s)) / 2,
                                             s = (step - warmup_steps) / (total_steps - warmup_steps)
        step >= total_steps:                 min_lr
    Warm-up starts at 0 (step 0) and reaches base_lr exactly at step = warmup_steps, where the
    cosine part starts (s = 0); the cosine reaches min_lr at step = total_steps (s = 1).
    """
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
    ### END SOLUTION
