"""Assignment 01: linear regression from scratch, autograd and minibatch SGD.

Build the pieces of d2l's chapter 3 by hand: synthetic data, a shuffled minibatch iterator,
the linear model, the squared loss, an SGD step, and a training loop that recovers the true
weights. Do not use torch.nn, torch.optim or torch.utils.data here.
"""

import torch


def poly_grad(coeffs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The derivative p'(x) of p(x) = sum_k coeffs[k] * x**k at every element of x, by autograd.

    coeffs: (K,) with coeffs[k] the coefficient of x**k (lowest power first, K >= 1);
    x: a float tensor of any shape. Returns a tensor of x's shape, dtype and device.

    Use torch.autograd (do not differentiate by hand): work on a copy of x that requires
    grad, build p(x) elementwise, and differentiate p(x).sum(), a scalar: since p(x_i)
    depends on x_i alone, d(sum_i p(x_i)) / dx_i = p'(x_i). A constant polynomial (K = 1)
    has derivative 0: make sure that case works too.
    """
    raise NotImplementedError("TODO: implement this function")


def synthetic_data(w: torch.Tensor, b: float, num_examples: int, noise: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """d2l's synthetic regression data: y = X w + b + noise * eps.

    w: (d,) true weights; b: the true bias (a float). X (num_examples, d) has standard
    normal entries; eps is standard normal; y has shape (num_examples, 1), a column, as
    linreg returns. Both in w's dtype and on w's device. Randomness comes from torch's
    global generator (do not seed inside).
    """
    raise NotImplementedError("TODO: implement this function")


def data_iter(batch_size: int, features: torch.Tensor, labels: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The minibatches of one epoch, as a list of (X_batch, y_batch) pairs.

    features: (n, d); labels: (n,) or (n, 1). Shuffle the n examples with torch's global
    generator (torch.randperm), then cut them into consecutive batches of `batch_size`;
    the last batch holds the n % batch_size left over, if any. Every example appears in
    exactly one batch, with its own label.
    """
    raise NotImplementedError("TODO: implement this function")


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model X w + b: X (n, d), w (d, 1), b (1,) -> (n, 1)."""
    raise NotImplementedError("TODO: implement this function")


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example squared loss (y_hat - y)**2 / 2, in y_hat's shape (not reduced).

    y_hat: (n, 1); y: (n,) or (n, 1). Reshape y to y_hat's shape first: y_hat - y with y
    of shape (n,) would broadcast to (n, n).
    """
    raise NotImplementedError("TODO: implement this function")


def sgd_step(params: list[torch.Tensor], grads: list[torch.Tensor], lr: float, batch_size: int) -> list[torch.Tensor]:
    """One minibatch SGD step: a new list with p - lr * g / batch_size for each (p, g).

    grads are the gradients of the *summed* minibatch loss, hence the division by the batch
    size (d2l's convention). Pure: the input tensors are not modified; new ones are returned.
    """
    raise NotImplementedError("TODO: implement this function")


def train(X: torch.Tensor, y: torch.Tensor, lr: float = 0.03, epochs: int = 3, batch_size: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit linreg to (X, y) by minibatch SGD on the squared loss; return (w, b).

    X: (n, d); y: (n, 1) or (n,). Initialise w (d, 1) with normal entries of standard
    deviation 0.01 and b (1,) with zeros (the book's choice). Each epoch, take the batches
    of data_iter (freshly shuffled), compute the summed squared loss of the batch, its
    gradients with torch.autograd, and apply sgd_step with that batch's size. Returns the
    final w (d, 1) and b (1,) in X's dtype and on X's device, detached.
    """
    raise NotImplementedError("TODO: implement this function")
