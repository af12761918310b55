"""Honest rewrites of assignment 04 (convolution and pooling)."""

from mutants import Mutant

HONEST = [
    # every kernel offset's window stacked, then one contraction with the flattened kernel
    Mutant("04", "conv", "corr2d", "stacked_windows_einsum",
           "    Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)\n"
           "    for i in range(kh):\n        for j in range(kw):\n            Y = Y + K[i, j] * X[i : i + oh, j : j + ow]\n    return Y",
           "    windows = torch.stack([X[i : i + oh, j : j + ow] for i in range(kh) for j in range(kw)])  # (kh * kw, oh, ow)\n"
           '    return torch.einsum("kij,k->ij", windows, K.reshape(-1))'),
    # d2l's formulation: corr2d per channel (a loop over the channels), summed
    Mutant("04", "conv", "corr2d_multi_in", "corr2d_per_channel",
           "    per_channel = torch.zeros((C, oh, ow), dtype=X.dtype, device=X.device)\n"
           "    for i in range(kh):\n        for j in range(kw):\n"
           "            per_channel = per_channel + K[:, i, j, None, None] * X[:, i : i + oh, j : j + ow]\n"
           "    return per_channel.sum(dim=0)",
           "    return sum(corr2d(x, k) for x, k in zip(X, K, strict=True))"),
    # d2l's formulation: corr2d_multi_in per output channel (a loop over the output channels), stacked
    Mutant("04", "conv", "corr2d_multi_in_out", "multi_in_per_output_channel",
           "    Y = torch.zeros((C_out, oh, ow), dtype=X.dtype, device=X.device)\n"
           "    for i in range(kh):\n        for j in range(kw):\n"
           "            window = X[:, i : i + oh, j : j + ow]  # (C, oh, ow)\n"
           "            # (O, C, 1, 1) * (C, oh, ow) -> (O, C, oh, ow), then sum over the input channels\n"
           "            Y = Y + (K[:, :, i, j, None, None] * window).sum(dim=1)\n    return Y",
           "    return torch.stack([corr2d_multi_in(X, k) for k in K])"),
    # tensordot per kernel offset instead of einsum, in float64, cast back
    Mutant("04", "conv", "conv2d", "tensordot_float64",
           "            Y = Y + torch.einsum(\"nchw,oc->nohw\", window, weight[:, :, i, j])\n"
           "    if bias is not None:\n        Y = Y + bias.reshape(1, C_out, 1, 1)\n    return Y",
           "            Y = Y + torch.tensordot(window.double(), weight[:, :, i, j].double(), dims=([1], [1])).permute(0, 3, 1, 2)\n"
           "    if bias is not None:\n        Y = Y + bias.double().reshape(1, C_out, 1, 1)\n    return Y.to(X.dtype)"),
    # all offsets at once: (N, C, kh * kw, oh, ow) windows, one contraction (the capstone solution's form)
    Mutant("04", "conv", "conv2d", "one_contraction",
           "    Y = X.new_zeros((N, C_out, oh, ow))\n    for i in range(kh):\n        for j in range(kw):\n"
           "            # the input pixel under kernel offset (i, j) for every output pixel: rows i, i + sh, ...\n"
           "            window = padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]\n"
           "            Y = Y + torch.einsum(\"nchw,oc->nohw\", window, weight[:, :, i, j])\n",
           "    windows = torch.stack(\n"
           "        [padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] for i in range(kh) for j in range(kw)], dim=2\n"
           "    )  # (N, C, kh * kw, oh, ow)\n"
           "    Y = torch.einsum(\"nckhw,ock->nohw\", windows, weight.reshape(C_out, C, kh * kw))\n"),
    # a running maximum (or sum) over the kernel offsets; the average as a mean
    Mutant("04", "conv", "pool2d", "running_max_and_mean",
           "    windows = torch.stack(\n"
           "        [padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] for i in range(kh) for j in range(kw)]\n"
           "    )  # (kh * kw, N, C, oh, ow)\n"
           "    if mode == \"max\":\n        return windows.amax(dim=0)\n    return windows.sum(dim=0) / (kh * kw)",
           "    windows = [padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] for i in range(kh) for j in range(kw)]\n"
           "    if mode == \"max\":\n        out = windows[0]\n        for window in windows[1:]:\n            out = torch.maximum(out, window)\n        return out\n"
           "    return torch.stack(windows).mean(dim=0)"),
]
