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
    ### BEGIN SOLUTION
    dims = [0, *range(2, X.ndim)]  # every dimension but the channel dimension 1
    shape = [1, -1] + [1] * (X.ndim - 2)  # (C,) -> broadcastable against X
    if training:
        m = X.numel() // X.shape[1]
        if m < 2:
            raise ValueError("batch_norm in training needs more than 1 value per channel")
        mean = X.mean(dim=dims, keepdim=True)
        var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # biased: divides by m
        X_hat = (X - mean) / torch.sqrt(var + eps)
        new_mean = (1 - momentum) * running_mean + momentum * mean.reshape(running_mean.shape)
        new_var = (1 - momentum) * running_var + momentum * var.reshape(running_var.shape) * (m / (m - 1))
    else:
        X_hat = (X - running_mean.reshape(shape)) / torch.sqrt(running_var.reshape(shape) + eps)
        new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    return Y, new_mean, new_var
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    dims = tuple(range(-len(normalized_shape), 0))
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
    Y = (X - mean) / torch.sqrt(var + eps)
    if weight is not None:
        Y = Y * weight
    if bias is not None:
        Y = Y + bias
    return Y
    ### END SOLUTION
