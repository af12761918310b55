"""Wrong implementations of assignment 09 (optimizers and schedules)."""

from mutants import Mutant

MUTANTS = [
    # sgd
    Mutant("09", "optim", "sgd", "sgd_weight_decay_ignored",
           'grad = dw + config["weight_decay"] * w', "grad = dw"),
    Mutant("09", "optim", "sgd", "sgd_config_mutated_in_place",
           'config = {"lr": 1e-3, "weight_decay": 0.0, **(config or {})}',
           'config = config if config is not None else {}\n'
           '    config.setdefault("lr", 1e-3)\n'
           '    config.setdefault("weight_decay", 0.0)'),
    Mutant("09", "optim", "sgd", "default_lr_of_the_book",
           '"lr": 1e-3', '"lr": 0.03'),
    # sgd_momentum
    Mutant("09", "optim", "sgd_momentum", "first_step_buffer_is_ema",
           "buf = grad.clone() if buf is None else", 'buf = (1 - config["momentum"]) * grad if buf is None else'),
    Mutant("09", "optim", "sgd_momentum", "dampened_buffer",
           'config["momentum"] * buf + grad', 'config["momentum"] * buf + (1 - config["momentum"]) * grad'),
    Mutant("09", "optim", "sgd_momentum", "default_momentum_of_torch",
           '"momentum": 0.9', '"momentum": 0.0'),
    Mutant("09", "optim", "sgd_momentum", "buffer_updated_in_place",
           'config["momentum"] * buf + grad', 'buf.mul_(config["momentum"]).add_(grad)'),
    Mutant("09", "optim", "sgd_momentum", "cs231n_velocity_as_buffer",
           'buf = grad.clone() if buf is None else config["momentum"] * buf + grad\n'
           '    config["momentum_buffer"] = buf\n'
           '    return w - config["lr"] * buf, config',
           'v = -config["lr"] * grad if buf is None else config["momentum"] * buf - config["lr"] * grad\n'
           '    config["momentum_buffer"] = v\n'
           '    return w + v, config'),
    # adagrad
    Mutant("09", "optim", "adagrad", "adagrad_eps_inside_sqrt",
           'grad / (total.sqrt() + config["eps"])', 'grad / (total + config["eps"]).sqrt()'),
    Mutant("09", "optim", "adagrad", "no_accumulation",
           'total = config.get("sum", torch.zeros_like(w)) + grad * grad', "total = grad * grad"),
    Mutant("09", "optim", "adagrad", "step_not_stored",
           'config["step"] = config.get("step", 0) + 1', "pass"),
    # rmsprop
    Mutant("09", "optim", "rmsprop", "rmsprop_eps_inside_sqrt",
           'grad / (square_avg.sqrt() + config["eps"])', 'grad / (square_avg + config["eps"]).sqrt()'),
    Mutant("09", "optim", "rmsprop", "alpha_weights_swapped",
           'alpha * config.get("square_avg", torch.zeros_like(w)) + (1 - alpha) * grad * grad',
           '(1 - alpha) * config.get("square_avg", torch.zeros_like(w)) + alpha * grad * grad'),
    Mutant("09", "optim", "rmsprop", "rmsprop_weight_decay_ignored",
           'grad = dw + config["weight_decay"] * w', "grad = dw"),
    # adadelta
    Mutant("09", "optim", "adadelta", "eps_outside_sqrt",
           "delta = (acc_delta + eps).sqrt() / (square_avg + eps).sqrt() * grad",
           "delta = (acc_delta.sqrt() + eps) / (square_avg.sqrt() + eps) * grad"),
    Mutant("09", "optim", "adadelta", "acc_delta_from_gradient",
           "(1 - rho) * delta * delta", "(1 - rho) * grad * grad"),
    Mutant("09", "optim", "adadelta", "lr_ignored",
           'return w - config["lr"] * delta, config', "return w - delta, config"),
    # adam
    Mutant("09", "optim", "adam", "adam_no_bias_correction",
           "m_hat = m / (1 - beta1**step)\n    v_hat = v / (1 - beta2**step)", "m_hat = m\n    v_hat = v"),
    Mutant("09", "optim", "adam", "adam_eps_inside_sqrt",
           '(v_hat.sqrt() + config["eps"])', '(v_hat + config["eps"]).sqrt()'),
    Mutant("09", "optim", "adam", "betas_swapped",
           'beta1, beta2 = config["betas"]', 'beta2, beta1 = config["betas"]'),
    Mutant("09", "optim", "adam", "bias_correction_with_old_step",
           "m_hat = m / (1 - beta1**step)\n    v_hat = v / (1 - beta2**step)",
           "m_hat = m / (1 - beta1 ** max(step - 1, 1))\n    v_hat = v / (1 - beta2 ** max(step - 1, 1))"),
    Mutant("09", "optim", "adam", "adam_config_mutated_in_place",
           'config = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, **(config or {})}',
           "config = config if config is not None else {}\n"
           '    for key, value in {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}.items():\n'
           "        config.setdefault(key, value)"),
    Mutant("09", "optim", "adam", "decoupled_decay",
           'grad = dw + config["weight_decay"] * w', 'grad = dw\n    w = w * (1 - config["lr"] * config["weight_decay"])'),
    # adamw
    Mutant("09", "optim", "adamw", "decay_as_l2",
           'decayed = w * (1 - lr * config["weight_decay"])', 'decayed = w\n    dw = dw + config["weight_decay"] * w'),
    Mutant("09", "optim", "adamw", "decay_not_scaled_by_lr",
           'decayed = w * (1 - lr * config["weight_decay"])', 'decayed = w * (1 - config["weight_decay"])'),
    Mutant("09", "optim", "adamw", "default_weight_decay_zero",
           '"weight_decay": 1e-2', '"weight_decay": 0.0'),
    Mutant("09", "optim", "adamw", "adamw_no_bias_correction",
           "m_hat = m / (1 - beta1**step)\n    v_hat = v / (1 - beta2**step)", "m_hat = m\n    v_hat = v"),
    # warmup_cosine_lr
    Mutant("09", "optim", "warmup_cosine_lr", "warmup_off_by_one",
           "return base_lr * step / warmup_steps", "return base_lr * (step + 1) / warmup_steps"),
    Mutant("09", "optim", "warmup_cosine_lr", "cosine_off_by_one",
           "progress = (step - warmup_steps) / (total_steps - warmup_steps)",
           "progress = (step - warmup_steps + 1) / (total_steps - warmup_steps)"),
    Mutant("09", "optim", "warmup_cosine_lr", "min_lr_ignored",
           "return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2",
           "return base_lr * (1 + math.cos(math.pi * progress)) / 2"),
    Mutant("09", "optim", "warmup_cosine_lr", "zero_after_total_steps",
           "return float(min_lr)", "return 0.0"),
    Mutant("09", "optim", "warmup_cosine_lr", "cosine_over_the_whole_run",
           "progress = (step - warmup_steps) / (total_steps - warmup_steps)", "progress = step / total_steps"),
    Mutant("09", "optim", "warmup_cosine_lr", "returns_a_tensor",
           "return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2",
           "return min_lr + (base_lr - min_lr) * (1 + torch.cos(torch.tensor(math.pi * progress))) / 2"),
]

# Python loops over the rows of w: correct values, but a few torch calls of their own per row.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("09", "optim", "sgd", "sgd_loop_over_rows",
           'return w - config["lr"] * grad, config',
           'return (torch.stack([row - config["lr"] * g for row, g in zip(w.reshape(-1, w.shape[-1]), grad.reshape(-1, w.shape[-1]))])'
           ".reshape(w.shape), config)"),
    Mutant("09", "optim", "adam", "adam_loop_over_rows",
           "    v = beta2 * config.get(\"exp_avg_sq\", torch.zeros_like(w)) + (1 - beta2) * grad * grad\n",
           "    previous = config.get(\"exp_avg_sq\", torch.zeros_like(w)).reshape(-1, w.shape[-1])\n"
           "    rows = zip(previous, grad.reshape(-1, w.shape[-1]))\n"
           "    v = torch.stack([beta2 * s + (1 - beta2) * g * g for s, g in rows]).reshape(w.shape)  # one row at a time\n"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py)
MUTANTS += [
    # the update moved to the GPU: raises without CUDA (every check fails), on meta too; with CUDA a tensor on the
    # wrong device for CPU inputs
    Mutant("09", "optim", "adam", "update_moved_to_the_gpu",
           'return w - config["lr"] * m_hat / (v_hat.sqrt() + config["eps"]), config',
           'return (w - config["lr"] * m_hat / (v_hat.sqrt() + config["eps"])).cuda(), config', caught_by="meta"),
]
