"""Assignment 04: convolution and pooling.

Implement 2-D cross-correlation, convolution layers and pooling from slicing and elementary
tensor operations. A Python loop over the kernel offsets (i, j) is fine; loops over batch
elements or output pixels are not. Do not call F.conv2d, torch.conv2d, F.unfold,
Tensor.unfold, nn.Conv2d, F.max_pool2d, F.avg_pool2d or any other pooling routine.
"""

import torch


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """An int or a pair of ints as a pair: 2 -> (2, 2), (1, 3) -> (1, 3)."""
    if isinstance(value, int):
        return value, value
    first, second = value
    return int(first), int(second)


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """2-D cross-correlation of one image with one kernel (no padding, stride 1).

    X: (H, W); K: (kh, kw). Returns Y of shape (H - kh + 1, W - kw + 1) with

        Y[r, c] = sum_{i < kh, j < kw} X[r + i, c + j] * K[i, j].

    The kernel is NOT flipped (that would be a true convolution). Vectorise over the output:
    for a fixed offset (i, j) the products X[r + i, c + j] * K[i, j] for every (r, c) are one
    slice of X times a scalar, so only the kh * kw offsets need a Python loop.
    """
    raise NotImplementedError("TODO: implement this function")


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlation of a C-channel image with a C-channel kernel, summed over channels.

    X: (C, H, W); K: (C, kh, kw). Returns (H - kh + 1, W - kw + 1):

        Y[r, c] = sum_{ch} sum_{i, j} X[ch, r + i, c + j] * K[ch, i, j].

    Channels are summed, not averaged: one output channel sees every input channel.
    """
    raise NotImplementedError("TODO: implement this function")


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Multi-input, multi-output cross-correlation: one corr2d_multi_in per output channel.

    X: (C, H, W); K: (O, C, kh, kw). Returns (O, H - kh + 1, W - kw + 1):

        Y[o, r, c] = sum_{ch} sum_{i, j} X[ch, r + i, c + j] * K[o, ch, i, j].

    Output channel o uses only its own kernel K[o]; the sum runs over the input channels.
    """
    raise NotImplementedError("TODO: implement this function")


def conv2d(
    X: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """A batched convolution layer's forward pass, equal to F.conv2d (cross-correlation).

    X: (N, C, H, W); weight: (O, C, kh, kw); bias: (O,) or None.
    stride = (sh, sw) and padding = (ph, pw), each given as an int (both axes) or a pair.
    X is padded with ph zero rows above AND below and pw zero columns left AND right; then

        Y[n, o, r, c] = bias[o] + sum_{ch, i, j} Xpad[n, ch, sh * r + i, sw * c + j] * weight[o, ch, i, j]

    Returns (N, O, oh, ow) with oh = (H + 2 ph - kh) // sh + 1, ow = (W + 2 pw - kw) // sw + 1.
    """
    raise NotImplementedError("TODO: implement this function")


def pool2d(
    X: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    mode: str = "max",
) -> torch.Tensor:
    """Max or average pooling of every channel separately, equal to F.max_pool2d / F.avg_pool2d.

    X: (N, C, H, W); kernel_size, stride, padding: an int (both axes) or a pair.
    `stride` defaults to `kernel_size` (non-overlapping windows), as in PyTorch.
    mode="max": the largest value of each window; padding never wins, so pad with -inf
    (in X's dtype). mode="avg": the window sum divided by kh * kw, padded zeros included
    (PyTorch's default count_include_pad=True). Any other mode raises ValueError.
    Returns (N, C, oh, ow) with oh = (H + 2 ph - kh) // sh + 1, ow likewise.
    """
    raise NotImplementedError("TODO: implement this function")
