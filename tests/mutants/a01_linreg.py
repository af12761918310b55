"""Wrong implementations of assignment 01 (linear regression, autograd, minibatch SGD)."""

from mutants import Mutant

SHUFFLE = "order = torch.randperm(n, device=features.device)"
TRAIN_BATCHES = "for X_batch, y_batch in data_iter(batch_size, X, y):"
SEQUENTIAL_BATCHES = "for X_batch, y_batch in [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]:"

MUTANTS = [
    # poly_grad
    Mutant("01", "linreg", "poly_grad", "coefficients_highest_first", "y = y + coeffs[k] * x**k", "y = y + coeffs[-1 - k] * x**k"),
    Mutant("01", "linreg", "poly_grad", "returns_the_value", "return grad", "return y.detach()"),
    Mutant(
        "01", "linreg", "poly_grad", "constant_term_outside_the_graph",
        "y = torch.zeros_like(x)\n    for k in range(coeffs.shape[0]):",
        "y = coeffs[0] + torch.zeros_like(coeffs[0])\n    for k in range(1, coeffs.shape[0]):",
    ),
    # synthetic_data
    Mutant("01", "linreg", "synthetic_data", "forgets_the_noise", "return X, y + noise * torch.randn", "return X, y + 0 * torch.randn"),
    Mutant("01", "linreg", "synthetic_data", "noise_not_scaled", "y + noise * torch.randn", "y + torch.randn"),
    Mutant("01", "linreg", "synthetic_data", "uniform_features", "X = torch.randn(num_examples", "X = torch.rand(num_examples"),
    Mutant("01", "linreg", "synthetic_data", "flat_labels", "return X, y + noise * torch.randn(num_examples, 1,", "return X, y.reshape(-1) + noise * torch.randn(num_examples,"),
    Mutant("01", "linreg", "synthetic_data", "seeds_inside", "X = torch.randn(num_examples", "torch.manual_seed(0)\n    X = torch.randn(num_examples"),
    # data_iter
    Mutant("01", "linreg", "data_iter", "drops_last_partial_batch", "order.split(batch_size)", "order[: n - n % batch_size].split(batch_size)"),
    Mutant("01", "linreg", "data_iter", "samples_with_replacement", SHUFFLE, "order = torch.randint(n, (n,), device=features.device)"),
    Mutant("01", "linreg", "data_iter", "never_shuffles", SHUFFLE, "order = torch.arange(n, device=features.device)"),
    Mutant(
        "01", "linreg", "data_iter", "python_random_shuffle", SHUFFLE,
        "import random\n    indices = list(range(n))\n    random.shuffle(indices)\n    order = torch.tensor(indices, dtype=torch.long, device=features.device)",
    ),
    Mutant("01", "linreg", "data_iter", "labels_shuffled_separately", "labels[idx]", "labels[idx.flip(0)]"),
    # linreg
    Mutant("01", "linreg", "linreg", "forgets_the_bias", "return X @ w + b", "return X @ w"),
    # squared_loss
    Mutant("01", "linreg", "squared_loss", "no_half", "** 2 / 2", "** 2"),
    Mutant("01", "linreg", "squared_loss", "broadcasts_flat_targets", "(y_hat - y.reshape(y_hat.shape))", "(y_hat - y)"),
    Mutant("01", "linreg", "squared_loss", "divides_by_n", "** 2 / 2", "** 2 / 2 / y_hat.shape[0]"),
    # sgd_step
    Mutant("01", "linreg", "sgd_step", "forgets_batch_size", "return [p - lr * g / batch_size", "return [p - lr * g"),
    Mutant("01", "linreg", "sgd_step", "updates_in_place", "return [p - lr * g / batch_size", "return [p.sub_(lr * g / batch_size)"),
    Mutant("01", "linreg", "sgd_step", "gradient_ascent", "return [p - lr * g / batch_size", "return [p + lr * g / batch_size"),
    # train
    Mutant("01", "linreg", "train", "train_never_shuffles", TRAIN_BATCHES, SEQUENTIAL_BATCHES),
    Mutant("01", "linreg", "train", "hard_coded_lr", "sgd_step([w, b], list(grads), lr,", "sgd_step([w, b], list(grads), 0.03,"),
    Mutant("01", "linreg", "train", "mean_loss_then_divides_again", "linreg(X_batch, w, b), y_batch).sum()", "linreg(X_batch, w, b), y_batch).mean()"),
    Mutant("01", "linreg", "train", "one_epoch_only", "for _ in range(epochs):", "for _ in range(min(epochs, 1)):"),
    Mutant("01", "linreg", "train", "large_initialisation", "torch.normal(0.0, 0.01,", "torch.normal(0.0, 1.0,"),
]

# Python loops over the examples: correct values, but a few torch calls of their own per example.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("01", "linreg", "poly_grad", "poly_grad_loop_over_elements",
           "    x = x.detach().clone().requires_grad_(True)\n    y = torch.zeros_like(x)\n    for k in range(coeffs.shape[0]):\n"
           "        y = y + coeffs[k] * x**k  # x**0 keeps x in the graph, so a constant works too\n"
           "    (grad,) = torch.autograd.grad(y.sum(), x)\n    return grad",
           "    grads = []\n    for xi in x.detach().reshape(-1):  # one element at a time\n        xi = xi.clone().requires_grad_(True)\n"
           "        y = torch.zeros_like(xi)\n        for k in range(coeffs.shape[0]):\n            y = y + coeffs[k] * xi**k\n"
           "        grads.append(torch.autograd.grad(y, xi)[0])\n    return torch.stack(grads).reshape(x.shape)"),
    Mutant("01", "linreg", "synthetic_data", "synthetic_data_loop_over_examples",
           "X = torch.randn(num_examples, w.shape[0], dtype=w.dtype, device=w.device)",
           "X = torch.stack([torch.randn(w.shape[0], dtype=w.dtype, device=w.device) for _ in range(num_examples)])\n"
           "    X = X if num_examples else torch.randn(0, w.shape[0], dtype=w.dtype, device=w.device)"),
    Mutant("01", "linreg", "data_iter", "data_iter_loop_over_examples",
           "return [(features[idx], labels[idx]) for idx in order.split(batch_size)]",
           "return [(torch.cat([features[idx[i : i + 1]] for i in range(len(idx))]), torch.cat([labels[idx[i : i + 1]] for i in range(len(idx))]))\n"
           "            for idx in order.split(batch_size)]"),
    Mutant("01", "linreg", "linreg", "linreg_loop_over_rows",
           "return X @ w + b", "return torch.stack([X[i] @ w + b for i in range(X.shape[0])])"),
    Mutant("01", "linreg", "squared_loss", "squared_loss_loop_over_rows",
           "return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2",
           "y = y.reshape(y_hat.shape)\n    return torch.stack([(y_hat[i] - y[i]) ** 2 / 2 for i in range(y_hat.shape[0])])"),
]
MUTANTS += LOOPS

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py): the CPU
# tests skip them and check that they pass every CPU check; benchmarks/device_check.py asserts them caught on a GPU.
CUDA_ONLY = [
    # torch's global generator named explicitly is the CPU's: the CPU draws what torch.randn would, and the meta device
    # ignores generators; with CUDA tensors, "Expected a 'cuda' device type for generator" ("runs on CUDA" fails)
    Mutant("01", "linreg", "synthetic_data", "cpu_generator_for_features",
           "X = torch.randn(num_examples, w.shape[0], dtype=w.dtype, device=w.device)",
           "X = torch.randn(num_examples, w.shape[0], dtype=w.dtype, device=w.device, generator=torch.default_generator)",
           caught_by="cuda"),
]
