"""Honest rewrites of assignment 09 (optimizers and learning-rate schedules)."""

from mutants import Mutant

HONEST = [
    # torch.optim.SGD's own form: the buffer updated as buf * momentum + g
    Mutant("09", "optim", "sgd_momentum", "buffer_times_momentum",
           'buf = grad.clone() if buf is None else config["momentum"] * buf + grad',
           'buf = grad.clone() if buf is None else buf * config["momentum"] + grad'),
    # g ** 2 by pow
    Mutant("09", "optim", "adagrad", "square_by_pow",
           'total = config.get("sum", torch.zeros_like(w)) + grad * grad',
           'total = config.get("sum", torch.zeros_like(w)) + grad.pow(2)'),
    # torch.optim.RMSprop's out-of-place equivalent: torch.addcmul
    Mutant("09", "optim", "rmsprop", "addcmul",
           'square_avg = alpha * config.get("square_avg", torch.zeros_like(w)) + (1 - alpha) * grad * grad',
           'square_avg = torch.addcmul(config.get("square_avg", torch.zeros_like(w)) * alpha, grad, grad, value=1 - alpha)'),
    # torch.optim.Adam's own arithmetic: a step size lr / (1 - beta1^t) and sqrt(v) / sqrt(1 - beta2^t) + eps
    Mutant("09", "optim", "adam", "step_size_form",
           '    m_hat = m / (1 - beta1**step)\n    v_hat = v / (1 - beta2**step)\n'
           '    config.update(exp_avg=m, exp_avg_sq=v, step=step)\n'
           '    return w - config["lr"] * m_hat / (v_hat.sqrt() + config["eps"]), config',
           '    step_size = config["lr"] / (1 - beta1**step)\n'
           '    denominator = v.sqrt() / (1 - beta2**step) ** 0.5 + config["eps"]\n'
           '    config.update(exp_avg=m, exp_avg_sq=v, step=step)\n'
           '    return w - step_size * m / denominator, config'),
    # the decay subtracted in the same expression as the step
    Mutant("09", "optim", "adamw", "decay_in_one_expression",
           'return decayed - lr * m_hat / (v_hat.sqrt() + config["eps"]), config',
           'return w - lr * config["weight_decay"] * w - lr * m_hat / (v_hat.sqrt() + config["eps"]), config'),
    # the cosine as 0.5 * (1 + cos), with min_lr added last
    Mutant("09", "optim", "warmup_cosine_lr", "half_one_plus_cos",
           "return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2",
           "return 0.5 * (1.0 + math.cos(math.pi * progress)) * (base_lr - min_lr) + min_lr"),
]
