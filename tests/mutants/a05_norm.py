"""Wrong implementations of assignment 05 (normalisation)."""

from mutants import Mutant

BN_UPDATE = (
    "new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(running_mean.shape)\n"
    "        new_var = (1 - momentum) * running_var + momentum * var.reshape(running_var.shape) * (m / (m - 1))"
)
BOOK_UPDATE = (  # d2l's convention: momentum=0.9 weighs the old running value
    "new_mean = momentum * running_mean + (1 - momentum) * mean.reshape(running_mean.shape)\n"
    "        new_var = momentum * running_var + (1 - momentum) * var.reshape(running_var.shape) * (m / (m - 1))"
)

MUTANTS = [
    # batch_norm
    Mutant("05", "norm", "batch_norm", "unbiased_variance_in_normalisation",
           "X_hat = (X - mean) / torch.sqrt(var + eps)", "X_hat = (X - mean) / torch.sqrt(var * (m / (m - 1)) + eps)"),
    Mutant("05", "norm", "batch_norm", "biased_variance_in_running_update",
           "momentum * var.reshape(running_var.shape) * (m / (m - 1))", "momentum * var.reshape(running_var.shape)"),
    Mutant("05", "norm", "batch_norm", "books_mirrored_momentum", BN_UPDATE, BOOK_UPDATE),
    Mutant("05", "norm", "batch_norm", "statistics_over_all_dims",
           "dims = [0, *range(2, X.ndim)]", "dims = list(range(X.ndim))"),
    Mutant("05", "norm", "batch_norm", "statistics_over_batch_dim_only",
           "dims = [0, *range(2, X.ndim)]", "dims = [0]"),
    Mutant("05", "norm", "batch_norm", "statistics_over_channel_and_batch",
           "dims = [0, *range(2, X.ndim)]", "dims = [0, 1]"),
    Mutant("05", "norm", "batch_norm", "batch_statistics_in_eval", "if training:", "if True:"),
    Mutant("05", "norm", "batch_norm", "running_mean_updated_in_place",
           "new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(running_mean.shape)",
           "new_mean = running_mean.mul_(1 - momentum).add_(momentum * mean.reshape(running_mean.shape))"),
    Mutant("05", "norm", "batch_norm", "bn_eps_outside_sqrt",
           "X_hat = (X - mean) / torch.sqrt(var + eps)", "X_hat = (X - mean) / (torch.sqrt(var) + eps)"),
    Mutant("05", "norm", "batch_norm", "running_stats_move_in_eval",
           "new_mean, new_var = running_mean.clone(), running_var.clone()",
           "new_mean, new_var = (1 - momentum) * running_mean, (1 - momentum) * running_var + momentum"),
    # layer_norm
    Mutant("05", "norm", "layer_norm", "last_dim_only",
           "dims = tuple(range(-len(normalized_shape), 0))", "dims = (-1,)"),
    Mutant("05", "norm", "layer_norm", "over_the_batch_dim",
           "dims = tuple(range(-len(normalized_shape), 0))", "dims = (0,)"),
    Mutant("05", "norm", "layer_norm", "ln_unbiased_variance",
           "var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)", "var = ((X - mean) ** 2).sum(dim=dims, keepdim=True) / (X.numel() // mean.numel() - 1)"),
    Mutant("05", "norm", "layer_norm", "ln_eps_outside_sqrt",
           "Y = (X - mean) / torch.sqrt(var + eps)", "Y = (X - mean) / (torch.sqrt(var) + eps)"),
    Mutant("05", "norm", "layer_norm", "ignores_bias", "Y = Y + bias", "Y = Y"),
    Mutant("05", "norm", "layer_norm", "bias_scaled_by_weight",
           "    if weight is not None:\n        Y = Y * weight\n    if bias is not None:\n        Y = Y + bias\n",
           "    if bias is not None:\n        Y = Y + bias\n    if weight is not None:\n        Y = Y * weight\n"),
]

# Python loops over the batch: correct values, but a few torch calls of their own per row.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("05", "norm", "batch_norm", "batch_norm_loop_over_batch",
           "    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)",
           "    Y = torch.stack([gamma.reshape(shape[1:]) * x + beta.reshape(shape[1:]) for x in X_hat])  # one example at a time"),
    Mutant("05", "norm", "layer_norm", "layer_norm_loop_over_rows",
           "    mean = X.mean(dim=dims, keepdim=True)\n    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)\n    Y = (X - mean) / torch.sqrt(var + eps)",
           "    rows = X.reshape(-1, *X.shape[X.dim() - len(dims) :])  # one slice at a time\n"
           "    Y = torch.stack([(r - r.mean()) / torch.sqrt(((r - r.mean()) ** 2).mean() + eps) for r in rows]).reshape(X.shape)"),
]
MUTANTS += LOOPS

# Device-bound (caught_by="meta", tests/mutants/__init__.py): a meta tensor has no data to copy out
MUTANTS += [
    # the batch mean through NumPy: right on the CPU (float32 and float64), a CPU round trip on CUDA, impossible on meta
    Mutant("05", "norm", "batch_norm", "batch_mean_through_numpy", "mean = X.mean(dim=dims, keepdim=True)",
           "mean = torch.from_numpy(X.detach().cpu().numpy().mean(axis=tuple(dims), keepdims=True)).to(X.device)",
           caught_by="meta"),
]
