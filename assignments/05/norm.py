"""Assignment 05: normalisation layers.

Implement batch normalisation and layer normalisation from elementary tensor operations.
Do not call F.batch_norm, F.layer_norm, nn.BatchNorm1d/2d/3d, nn.LayerNorm, torch.batch_norm,
torch.layer_norm (nor the other normalisation routines: F.instance_norm, F.group_norm, ...).
"""

import torch


def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch normalisation with PyTorch's conventions; returns (Y, new_running_mean, new_running_var).

    X: (N, C), (N, C, L) or (N, C, H, W); gamma, beta, running_mean, running_var: (C,).
    Statistics are per channel, over every dimension but dim 1 (m = N, N*L or N*H*W values).
    Training: mu, sigma2 = the batch mean and *biased* variance (divide by m) of each channel,
      Y = gamma * (X - mu) / sqrt(sigma2 + eps) + beta   (gamma, beta broadcast along dim 1),
      new_running = (1 - momentum) * running + momentum * batch statistic, where the variance
      fed in is the *unbiased* one, sigma2 * m / (m - 1).
    Eval: Y uses running_mean and running_var instead, which come back unchanged.
    The running statistics passed in are never modified in place (F.batch_norm does that).
    """
    raise NotImplementedError("TODO: implement this function")


def layer_norm(
    X: torch.Tensor,
    normalized_shape: tuple[int, ...] | list[int],
    weight: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Layer normalisation over the trailing dimensions, like F.layer_norm.

    X: (..., *normalized_shape); normalized_shape: the sizes of X's last k dimensions (a
    tuple or list; k >= 1). Each slice X[i, ...] over those k dimensions is standardised with
    its own mean and *biased* variance: Y = (X - mu) / sqrt(sigma2 + eps). Then, when given,
    Y = Y * weight + bias elementwise, with weight and bias of shape normalized_shape.
    Returns a tensor of X's shape, dtype and device.
    """
    raise NotImplementedError("TODO: implement this function")
