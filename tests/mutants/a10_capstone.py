"""Wrong implementations of assignment 10 (capstone: a small CNN on the 8x8 digits).

Mutants edit a graded function's own body (the pieces pasted from earlier assignments are
tested there); a wrong piece shows here through forward's comparison with the reference.
"""

from mutants import Mutant

WEIGHT_DRAW = "torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5"

MUTANTS = [
    # init_params
    Mutant("10", "capstone", "init_params", "zero_weights", WEIGHT_DRAW, "torch.zeros(shape)"),
    Mutant("10", "capstone", "init_params", "unit_normal_weights", WEIGHT_DRAW, "torch.randn(shape, generator=g)"),
    Mutant("10", "capstone", "init_params", "global_generator", WEIGHT_DRAW, "torch.randn(shape) * (2.0 / fan_in) ** 0.5"),
    Mutant("10", "capstone", "init_params", "running_var_zero", 'name.endswith("running_var") or name.endswith(".weight")', 'name.endswith(".weight")'),
    # forward
    Mutant("10", "capstone", "forward", "batch_statistics_in_evaluation", 'p["bn2.running_var"], training', 'p["bn2.running_var"], True'),
    Mutant("10", "capstone", "forward", "dropout_always_on", "dropout(h, dropout_p, training)", "dropout(h, dropout_p, True)"),
    Mutant("10", "capstone", "forward", "average_pooling", "h = pool2d(relu(h), 2).reshape", 'h = pool2d(relu(h), 2, mode="avg").reshape'),
    Mutant("10", "capstone", "forward", "channels_last_flatten", ".reshape(X.shape[0], -1)", ".permute(0, 2, 3, 1).reshape(X.shape[0], -1)"),
    Mutant("10", "capstone", "forward", "stale_running_statistics", 'p["fc.bias"], stats', 'p["fc.bias"], {k: p[k] for k in RUNNING_STATS}'),
    Mutant("10", "capstone", "forward", "relu_before_batch_norm", 'h = conv2d(h, p["conv2.weight"], padding=1)', 'h = relu(conv2d(h, p["conv2.weight"], padding=1))'),
    Mutant("10", "capstone", "forward", "dropout_before_batch_norm", 'h = conv2d(X, p["conv1.weight"], padding=1)', 'h = conv2d(dropout(X, dropout_p, training), p["conv1.weight"], padding=1)'),
    # train
    Mutant("10", "capstone", "train", "forgets_running_statistics", "params.update(stats)", "pass"),
    Mutant("10", "capstone", "train", "learning_rate_far_too_small", '{"lr": 0.01}', '{"lr": 1e-5}'),
    Mutant("10", "capstone", "train", "ignores_epochs", "for _ in range(epochs):", "for _ in range(1):"),
    Mutant("10", "capstone", "train", "tensor_history", "total_loss += loss.item() * len(index)", "total_loss += loss.detach() * len(index)"),
    Mutant("10", "capstone", "train", "gradient_ascent", "params[k], configs[k] = adam(params[k], g, configs[k])", "params[k], configs[k] = adam(params[k], -g, configs[k])"),
    # plot_history
    Mutant("10", "capstone", "plot_history", "returns_the_path", "return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)", "return path"),
    Mutant("10", "capstone", "plot_history", "thumbnail", "figsize=(8, 3.2), dpi=100", "figsize=(1, 1), dpi=50"),
    Mutant("10", "capstone", "plot_history", "svg_not_png", 'fig.savefig(path, format="png")', 'fig.savefig(path, format="svg")'),
    Mutant("10", "capstone", "plot_history", "ignores_the_loss", 'loss_ax.plot(epochs, history["loss"], marker="o")', 'loss_ax.plot(epochs, [1.0] * len(epochs), marker="o")'),
    Mutant(
        "10", "capstone", "plot_history", "never_saves_the_file", 'fig.savefig(path, format="png")',
        'import io; buffer = io.BytesIO(); fig.savefig(buffer, format="png"); return torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)',
    ),
    Mutant("10", "capstone", "plot_history", "ignores_the_accuracy", 'acc_ax.plot(epochs, history["accuracy"], marker="o", label="train")', 'acc_ax.plot(epochs, [0.5] * len(epochs), marker="o", label="train")'),
]

# A Python loop over the batch: correct values, but the first convolution runs once per image.
# The efficiency check (kit.spec.Efficiency) is what catches it; every other check passes it.
LOOPS = [
    Mutant("10", "capstone", "forward", "forward_conv1_loop_over_batch",
           'h = conv2d(X, p["conv1.weight"], padding=1)',
           'h = torch.cat([conv2d(X[n : n + 1], p["conv1.weight"], padding=1) for n in range(X.shape[0])])  # one image at a time'),
]
MUTANTS += LOOPS
