"""Honest rewrites of assignment 01 (linear regression, autograd, minibatch SGD)."""

from mutants import Mutant

HONEST = [
    # Horner's rule, a loop over the coefficients: p(x) = c0 + x (c1 + x (c2 + ...)); `+ 0 * x` keeps x in the graph
    Mutant("01", "linreg", "poly_grad", "horner",
           "    y = torch.zeros_like(x)\n    for k in range(coeffs.shape[0]):\n        y = y + coeffs[k] * x**k  # x**0 keeps x in the graph, so a constant works too\n",
           "    y = coeffs[-1] + 0 * x\n    for k in range(coeffs.shape[0] - 2, -1, -1):\n        y = y * x + coeffs[k]\n"),
    # the product as a broadcast and a sum over the features instead of a matrix product
    Mutant("01", "linreg", "synthetic_data", "broadcast_and_sum",
           "y = X @ w.reshape(-1, 1) + b", "y = (X * w).sum(dim=1, keepdim=True) + b"),
    # the batches cut by a loop over their start positions, as the hint suggests
    Mutant("01", "linreg", "data_iter", "loop_over_batch_starts",
           "return [(features[idx], labels[idx]) for idx in order.split(batch_size)]",
           "return [(features[order[i : i + batch_size]], labels[order[i : i + batch_size]]) for i in range(0, n, batch_size)]"),
    Mutant("01", "linreg", "linreg", "einsum", "return X @ w + b", 'return torch.einsum("nd,dk->nk", X, w) + b'),
    # in float64, cast back
    Mutant("01", "linreg", "squared_loss", "float64_inside",
           "return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2",
           "return ((y_hat.double() - y.reshape(y_hat.shape).double()).square() * 0.5).to(y_hat.dtype)"),
    # a helper function, and the step size lr / batch_size computed first
    Mutant("01", "linreg", "sgd_step", "helper_and_step_size_first",
           "    return [p - lr * g / batch_size for p, g in zip(params, grads, strict=True)]",
           "    def descend(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:\n"
           "        return p - (lr / batch_size) * g\n\n"
           "    return [descend(p, g) for p, g in zip(params, grads, strict=True)]"),
]
