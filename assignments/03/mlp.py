"""Assignment 03: multilayer perceptron, dropout and weight decay.

Implement the pieces of an MLP classifier from elementary tensor operations. Do not call
torch.relu, F.relu, F.dropout, nn.Dropout, F.linear or nn.Linear (nor their in-place and
module variants).
"""

import torch


def relu(X: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, elementwise: relu(x) = max(x, 0).

    X: a float tensor of any shape. Returns a new tensor of X's shape, dtype and device:
    positive entries pass through unchanged, negative ones become 0 (relu(-inf) = 0,
    relu(inf) = inf). Equals torch.relu.
    """
    raise NotImplementedError("TODO: implement this function")


def dropout(X: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Inverted dropout: zero each element with probability `p`, scale the rest by 1/(1-p).

    X: a float tensor of any shape; p: the drop probability, 0 <= p <= 1.
    In training, out = xi * X / (1 - p) with xi ~ Bernoulli(1 - p) drawn independently per
    element from torch's global generator (torch.rand_like, torch.bernoulli, ...), so that
    E[out] = X. p == 1 gives all zeros (never 0/0 = nan); p == 0 or training=False returns
    X's values unchanged (a new tensor). Returns a tensor of X's shape, dtype and device.
    """
    raise NotImplementedError("TODO: implement this function")


def l2_penalty(params: list[torch.Tensor]) -> torch.Tensor:
    """Half the squared L2 norm of all the given tensors: sum_w sum_i w_i**2 / 2.

    params: a non-empty list of float tensors of any shapes (the weights to decay).
    Returns a 0-dim tensor of their dtype and device. Added to the loss as
    lambda * l2_penalty(params), its gradient lambda * w is what "weight decay" subtracts.
    """
    raise NotImplementedError("TODO: implement this function")


def mlp_forward(
    X: torch.Tensor,
    params: list[tuple[torch.Tensor, torch.Tensor]],
    dropout_p: float = 0.0,
    training: bool = False,
) -> torch.Tensor:
    """Forward pass of a multilayer perceptron; returns the logits.

    X: (N, d_0). params: [(W_1, b_1), ..., (W_L, b_L)] with W_l of shape (d_{l-1}, d_l)
    (inputs by outputs, the transpose of nn.Linear's weight) and b_l of shape (d_l,).
    Hidden layers: H_l = dropout(relu(H_{l-1} @ W_l + b_l), dropout_p, training), H_0 = X.
    The last layer is affine only, with no activation and no dropout: it returns
    H_{L-1} @ W_L + b_L of shape (N, d_L). With training=False dropout_p has no effect.
    """
    raise NotImplementedError("TODO: implement this function")
