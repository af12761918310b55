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
    ### BEGIN SOLUTION
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)
    for i in range(kh):
        for j in range(kw):
            Y = Y + K[i, j] * X[i : i + oh, j : j + ow]
    return Y
    ### END SOLUTION


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlation of a C-channel image with a C-channel kernel, summed over channels.

    X: (C, H, W); K: (C, kh, kw). Returns (H - kh + 1, W - kw + 1):

        Y[r, c] = sum_{ch} sum_{i, j} X[ch, r + i, c + j] * K[ch, i, j].

    Channels are summed, not averaged: one output channel sees every input channel.
    """
    ### BEGIN SOLUTION
    C, kh, kw = K.shape
    oh, ow = X.shape[1] - kh + 1, X.shape[2] - kw + 1
    per_channel = torch.zeros((C, oh, ow), dtype=X.dtype, device=X.device)
    for i in range(kh):
        for j in range(kw):
            per_channel = per_channel + K[:, i, j, None, None] * X[:, i : i + oh, j : j + ow]
    return per_channel.sum(dim=0)
    ### END SOLUTION


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Multi-input, multi-output cross-correlation: one corr2d_multi_in per output channel.

    X: (C, H, W); K: (O, C, kh, kw). Returns (O, H - kh + 1, W - kw + 1):

        Y[o, r, c] = sum_{ch} sum_{i, j} X[ch, r + i, c + j] * K[o, ch, i, j].

    Output channel o uses only its own kernel K[o]; the sum runs over the input channels.
    """
    ### BEGIN SOLUTION
    C_out, C, kh, kw = K.shape
    oh, ow = X.shape[1] - kh + 1, X.shape[2] - kw + 1
    Y = torch.zeros((C_out, oh, ow), dtype=X.dtype, device=X.device)
    for i in range(kh):
        for j in range(kw):
            window = X[:, i : i + oh, j : j + ow]  # (C, oh, ow)
            # (O, C, 1, 1) * (C, oh, ow) -> (O, C, oh, ow), then sum over the input channels
            Y = Y + (K[:, :, i, j, None, None] * window).sum(dim=1)
    return Y
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    N, C, H, W = X.shape
    C_out, _, kh, kw = weight.shape
    oh = (H + 2 * ph - kh) // sh + 1
    ow = (W + 2 * pw - kw) // sw + 1
    padded = X.new_zeros((N, C, H + 2 * ph, W + 2 * pw))
    padded[:, :, ph : ph + H, pw : pw + W] = X
    Y = X.new_zeros((N, C_out, oh, ow))
    for i in range(kh):
        for j in range(kw):
            # the input pixel under kernel offset (i, j) for every output pixel: rows i, i + sh, ...
            window = padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
            Y = Y + torch.einsum("nchw,oc->nohw", window, weight[:, :, i, j])
    if bias is not None:
        Y = Y + bias.reshape(1, C_out, 1, 1)
    return Y
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if mode not in ("max", "avg"):
        raise ValueError(f"unknown pooling mode {mode!r}")
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    N, C, H, W = X.shape
    oh = (H + 2 * ph - kh) // sh + 1
    ow = (W + 2 * pw - kw) // sw + 1
    fill = float("-inf") if mode == "max" else 0.0
    padded = X.new_full((N, C, H + 2 * ph, W + 2 * pw), fill)
    padded[:, :, ph : ph + H, pw : pw + W] = X
    windows = torch.stack(
        [padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] for i in range(kh) for j in range(kw)]
    )  # (kh * kw, N, C, oh, ow)
    if mode == "max":
        return windows.amax(dim=0)
    return windows.sum(dim=0) / (kh * kw)
    ### END SOLUTION
