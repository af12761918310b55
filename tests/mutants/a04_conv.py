"""Wrong implementations of assignment 04 (convolution and pooling)."""

from mutants import Mutant

WINDOW_COLUMNS = "j : j + sw * (ow - 1) + 1 : sw]"
PAD_BOTH_SIDES = "padded[:, :, ph : ph + H, pw : pw + W] = X"
PAD_ONE_SIDE = "padded[:, :, 2 * ph :, 2 * pw :] = X"  # all the padding above and to the left

MUTANTS = [
    # corr2d
    Mutant("04", "conv", "corr2d", "corr2d_flipped_kernel",
           "Y = Y + K[i, j] * X", "Y = Y + K[kh - 1 - i, kw - 1 - j] * X"),
    Mutant("04", "conv", "corr2d", "corr2d_transposed_kernel",
           "Y = Y + K[i, j] * X", "Y = Y + K[j, i] * X"),
    Mutant("04", "conv", "corr2d", "corr2d_output_one_too_small",
           "oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1", "oh, ow = X.shape[0] - kh, X.shape[1] - kw"),
    Mutant("04", "conv", "corr2d", "corr2d_zeros_on_the_cpu",
           "Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)", "Y = torch.zeros((oh, ow), dtype=X.dtype)", caught_by="meta"),
    # corr2d_multi_in
    Mutant("04", "conv", "corr2d_multi_in", "multi_in_mean_over_channels",
           "return per_channel.sum(dim=0)", "return per_channel.mean(dim=0)"),
    Mutant("04", "conv", "corr2d_multi_in", "multi_in_sum_over_rows",
           "return per_channel.sum(dim=0)", "return per_channel.sum(dim=1)"),
    Mutant("04", "conv", "corr2d_multi_in", "multi_in_flipped_kernel",
           "K[:, i, j, None, None]", "K[:, kh - 1 - i, kw - 1 - j, None, None]"),
    # corr2d_multi_in_out
    Mutant("04", "conv", "corr2d_multi_in_out", "multi_in_out_mean_over_input_channels",
           "window).sum(dim=1)", "window).mean(dim=1)"),
    Mutant("04", "conv", "corr2d_multi_in_out", "multi_in_out_sum_over_output_channels",
           "window).sum(dim=1)", "window).sum(dim=0)"),
    Mutant("04", "conv", "corr2d_multi_in_out", "multi_in_out_flipped_kernel",
           "K[:, :, i, j, None, None]", "K[:, :, kh - 1 - i, kw - 1 - j, None, None]"),
    # conv2d
    Mutant("04", "conv", "conv2d", "conv2d_flipped_kernel",
           "weight[:, :, i, j])", "weight[:, :, kh - 1 - i, kw - 1 - j])"),
    Mutant("04", "conv", "conv2d", "conv2d_padding_on_one_side", PAD_BOTH_SIDES, PAD_ONE_SIDE),
    Mutant("04", "conv", "conv2d", "conv2d_mean_over_input_channels",
           "weight[:, :, i, j])", "weight[:, :, i, j]) / C"),
    Mutant("04", "conv", "conv2d", "conv2d_sum_over_output_channels",
           '"nchw,oc->nohw"', '"nchw,co->nohw"'),
    Mutant("04", "conv", "conv2d", "conv2d_stride_on_rows_only", WINDOW_COLUMNS, "j : j + ow]"),
    Mutant("04", "conv", "conv2d", "conv2d_first_of_pair_for_both_axes",
           "sh, sw = _pair(stride)", "sh = sw = stride if isinstance(stride, int) else stride[0]"),
    Mutant("04", "conv", "conv2d", "conv2d_padding_counted_once",
           "oh = (H + 2 * ph - kh) // sh + 1", "oh = (H + ph - kh) // sh + 1"),
    Mutant("04", "conv", "conv2d", "conv2d_bias_on_last_axis",
           "Y = Y + bias.reshape(1, C_out, 1, 1)", "Y = Y + bias"),
    Mutant("04", "conv", "conv2d", "conv2d_bias_ignored",
           "Y = Y + bias.reshape(1, C_out, 1, 1)", "Y = Y"),
    Mutant("04", "conv", "conv2d", "conv2d_float32_cpu_padding_buffer",
           "padded = X.new_zeros((N, C, H + 2 * ph, W + 2 * pw))", "padded = torch.zeros((N, C, H + 2 * ph, W + 2 * pw))", caught_by="meta"),
    # pool2d
    Mutant("04", "conv", "pool2d", "pool2d_avg_excludes_padding",
           "return windows.sum(dim=0) / (kh * kw)",
           "inside = torch.zeros_like(padded)\n"
           "    inside[:, :, ph : ph + H, pw : pw + W] = 1\n"
           "    counts = sum(inside[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]"
           " for i in range(kh) for j in range(kw))\n"
           "    return windows.sum(dim=0) / counts"),
    Mutant("04", "conv", "pool2d", "pool2d_max_pads_with_zeros",
           'fill = float("-inf") if mode == "max" else 0.0', "fill = 0.0"),
    Mutant("04", "conv", "pool2d", "pool2d_default_stride_one",
           "_pair(kernel_size if stride is None else stride)", "_pair(1 if stride is None else stride)"),
    Mutant("04", "conv", "pool2d", "pool2d_stride_on_rows_only", WINDOW_COLUMNS, "j : j + ow]"),
    Mutant("04", "conv", "pool2d", "pool2d_padding_on_one_side", PAD_BOTH_SIDES, PAD_ONE_SIDE),
    Mutant("04", "conv", "pool2d", "pool2d_avg_divisor_precedence", "/ (kh * kw)", "/ kh * kw"),
    Mutant("04", "conv", "pool2d", "pool2d_float32_cpu_padding",
           "padded = X.new_full((N, C, H + 2 * ph, W + 2 * pw), fill)",
           "padded = torch.full((N, C, H + 2 * ph, W + 2 * pw), fill)", caught_by="meta"),
    Mutant("04", "conv", "pool2d", "pool2d_avg_is_max",
           'if mode == "max":\n        return windows.amax(dim=0)', 'if mode in ("max", "avg"):\n        return windows.amax(dim=0)'),
]

# Python loops over output rows or batch elements: correct values, but thousands of small torch
# calls. The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("04", "conv", "corr2d", "corr2d_loop_over_output_rows",
           "    Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)\n    for i in range(kh):\n        for j in range(kw):\n"
           "            Y = Y + K[i, j] * X[i : i + oh, j : j + ow]\n    return Y",
           "    rows = []\n    for r in range(oh):  # one output row at a time\n        row = torch.zeros(ow, dtype=X.dtype, device=X.device)\n"
           "        for i in range(kh):\n            for j in range(kw):\n                row = row + K[i, j] * X[r + i, j : j + ow]\n"
           "        rows.append(row)\n    return torch.stack(rows)"),
    Mutant("04", "conv", "corr2d_multi_in", "multi_in_loop_over_output_rows",
           "    per_channel = torch.zeros((C, oh, ow), dtype=X.dtype, device=X.device)\n    for i in range(kh):\n        for j in range(kw):\n"
           "            per_channel = per_channel + K[:, i, j, None, None] * X[:, i : i + oh, j : j + ow]\n    return per_channel.sum(dim=0)",
           "    rows = []\n    for r in range(oh):  # one output row at a time\n        row = torch.zeros((C, ow), dtype=X.dtype, device=X.device)\n"
           "        for i in range(kh):\n            for j in range(kw):\n                row = row + K[:, i, j, None] * X[:, r + i, j : j + ow]\n"
           "        rows.append(row.sum(dim=0))\n    return torch.stack(rows)"),
    Mutant("04", "conv", "corr2d_multi_in_out", "multi_in_out_loop_over_output_rows",
           "    Y = torch.zeros((C_out, oh, ow), dtype=X.dtype, device=X.device)\n    for i in range(kh):\n        for j in range(kw):\n"
           "            window = X[:, i : i + oh, j : j + ow]  # (C, oh, ow)\n",
           "    rows = []\n    for r in range(oh):  # one output row at a time\n        row = torch.zeros((C_out, ow), dtype=X.dtype, device=X.device)\n"
           "        for i in range(kh):\n            for j in range(kw):\n                row = row + (K[:, :, i, j, None] * X[:, r + i, j : j + ow]).sum(dim=1)\n"
           "        rows.append(row)\n    return torch.stack(rows, dim=1)\n"
           "    Y = torch.zeros((C_out, oh, ow), dtype=X.dtype, device=X.device)\n    for i in range(kh):\n        for j in range(kw):\n"
           "            window = X[:, i : i + oh, j : j + ow]  # (C, oh, ow)\n"),
    Mutant("04", "conv", "conv2d", "conv2d_loop_over_batch",
           '            window = padded[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]\n'
           '            Y = Y + torch.einsum("nchw,oc->nohw", window, weight[:, :, i, j])',
           "            for n in range(N):  # one image at a time\n"
           "                window = padded[n, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]\n"
           '                Y[n] = Y[n] + torch.einsum("chw,oc->ohw", window, weight[:, :, i, j])'),
    Mutant("04", "conv", "pool2d", "pool2d_loop_over_batch",
           '    if mode == "max":\n        return windows.amax(dim=0)\n    return windows.sum(dim=0) / (kh * kw)',
           '    if mode == "max":\n        return torch.stack([windows[:, n].amax(dim=0) for n in range(N)])\n'
           "    return torch.stack([windows[:, n].sum(dim=0) / (kh * kw) for n in range(N)])"),
]
MUTANTS += LOOPS
