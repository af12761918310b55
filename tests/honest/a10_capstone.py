"""Honest rewrites of assignment 10 (the capstone CNN). Most edit the earlier pieces, which the graded forward and train use."""

from mutants import Mutant

HONEST = [
    # the textbook log-sum-exp, by hand
    Mutant("10", "capstone", "cross_entropy", "log_sum_exp_by_hand",
           "    shifted = logits - logits.amax(dim=1, keepdim=True).detach()\n"
           "    log_p = shifted - shifted.exp().sum(dim=1, keepdim=True).log()\n",
           "    m = logits.amax(dim=1, keepdim=True).detach()\n"
           "    log_p = logits - (m + (logits - m).exp().sum(dim=1, keepdim=True).log())\n"),
    # assignment 04's form: a loop over the kernel offsets, one einsum per offset
    Mutant("10", "capstone", "conv2d", "einsum_per_offset",
           "    windows = torch.stack(\n"
           "        [Xp[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw] for i in range(kh) for j in range(kw)], dim=2\n"
           "    )\n"
           "    out = torch.einsum(\"nckhw,ock->nohw\", windows, weight.reshape(out_channels, in_channels, kh * kw))\n",
           "    out = Xp.new_zeros((X.shape[0], out_channels, Ho, Wo))\n"
           "    for i in range(kh):\n        for j in range(kw):\n"
           "            window = Xp[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw]\n"
           "            out = out + torch.einsum(\"nchw,oc->nohw\", window, weight[:, :, i, j])\n"),
    # a running maximum over the kernel offsets
    Mutant("10", "capstone", "pool2d", "running_maximum",
           "    return windows.amax(dim=0) if mode == \"max\" else windows.mean(dim=0)",
           "    if mode != \"max\":\n        return windows.mean(dim=0)\n"
           "    out = windows[0]\n    for window in windows[1:]:\n        out = torch.maximum(out, window)\n    return out"),
    # torch.var_mean with the biased variance
    Mutant("10", "capstone", "batch_norm", "var_mean",
           "        mean = X.mean(dim=dims)\n        var = ((X - mean.reshape(shape)) ** 2).mean(dim=dims)\n",
           "        var, mean = torch.var_mean(X, dim=dims, unbiased=False)\n"),
    # the classifier as an einsum, and relu as torch.where
    Mutant("10", "capstone", "forward", "einsum_classifier",
           "return h @ p[\"fc.weight\"].T + p[\"fc.bias\"], stats",
           "return torch.einsum(\"nf,cf->nc\", h, p[\"fc.weight\"]) + p[\"fc.bias\"], stats"),
    Mutant("10", "capstone", "relu", "where", "return X.clamp(min=0)", "return torch.where(X > 0, X, torch.zeros_like(X))"),
]
