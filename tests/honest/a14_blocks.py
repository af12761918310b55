"""Honest rewrites of assignment 14 (modern CNN blocks)."""

from mutants import Mutant

HONEST = [
    # batch norm by hand (05's way) instead of F.batch_norm: var_mean, rsqrt, the unbiased running variance
    Mutant("14", "blocks", "_batch_norm", "batch_norm_by_hand",
           "    running_mean = params[f\"{name}.running_mean\"].clone()\n"
           "    running_var = params[f\"{name}.running_var\"].clone()\n"
           "    Y = F.batch_norm(\n"
           "        X, running_mean, running_var, params[f\"{name}.weight\"], params[f\"{name}.bias\"],\n"
           "        training=training, momentum=MOMENTUM, eps=EPS,\n"
           "    )\n",
           "    running_mean, running_var = params[f\"{name}.running_mean\"], params[f\"{name}.running_var\"]\n"
           "    if training:\n"
           "        var, mean = torch.var_mean(X, dim=(0, 2, 3), unbiased=False)\n"
           "        m = X.numel() // X.shape[1]\n"
           "        running_mean = (1 - MOMENTUM) * running_mean + MOMENTUM * mean\n"
           "        running_var = (1 - MOMENTUM) * running_var + MOMENTUM * var * m / (m - 1)\n"
           "    else:\n"
           "        mean, var = running_mean, running_var\n"
           "        running_mean, running_var = running_mean.clone(), running_var.clone()\n"
           "    scale = params[f\"{name}.weight\"] * torch.rsqrt(var + EPS)\n"
           "    Y = (X - mean[:, None, None]) * scale[:, None, None] + params[f\"{name}.bias\"][:, None, None]\n"),
    # the book's GlobalAvgPool2d: an average pooling whose window is the whole image
    Mutant("14", "blocks", "global_avg_pool2d", "gap_as_avg_pool2d",
           "return X.mean(dim=(2, 3), keepdim=True)", "return F.avg_pool2d(X, kernel_size=X.shape[2:])"),
    # the 1 x 1 convolutions of NiN as einsum over the channels
    Mutant("14", "blocks", "nin_block", "nin_1x1_as_einsum",
           '    Y = F.relu(_conv(Y, params, "2"))\n    Y = F.relu(_conv(Y, params, "4"))\n',
           '    for name in ("2", "4"):  # a 1 x 1 convolution is a fully connected layer at each position\n'
           '        W, b = params[f"{name}.weight"][:, :, 0, 0], params[f"{name}.bias"]\n'
           '        Y = F.relu(torch.einsum("nchw,oc->nohw", Y, W) + b[:, None, None])\n'),
    # Inception's pooling path padded by hand with -inf, then pooled without padding
    Mutant("14", "blocks", "inception_block", "inception_pads_with_minus_inf",
           "F.max_pool2d(X, kernel_size=3, stride=1, padding=1)",
           'F.max_pool2d(F.pad(X, (1, 1, 1, 1), value=float("-inf")), kernel_size=3, stride=1)'),
    # the residual block in float64, cast back (the float64 call is this same function)
    Mutant("14", "blocks", "residual_block", "residual_float64_inside",
           "    Y, state1 = _batch_norm(",
           "    if X.dtype != torch.float64:\n"
           "        wide = {k: v.double() for k, v in params.items()}\n"
           "        out, state = residual_block(X.double(), wide, stride, training)\n"
           "        return out.to(X.dtype), {k: v.to(X.dtype) for k, v in state.items()}\n"
           "    Y, state1 = _batch_norm("),
    # the dense block keeps a list of its feature maps and concatenates them for each conv block
    Mutant("14", "blocks", "dense_block", "dense_list_of_features",
           "    out, state = X, {}\n"
           "    for i in range(num_convs):\n"
           "        Y, stats = _batch_norm(out, params, f\"net.{i}.0\", training)\n"
           "        Y = _conv(F.relu(Y), params, f\"net.{i}.2\", padding=1)\n"
           "        out = torch.cat([out, Y], dim=1)\n"
           "        state.update(stats)\n"
           "    return out, state\n",
           "    features, state = [X], {}\n"
           "    for i in range(num_convs):\n"
           "        Y, stats = _batch_norm(torch.cat(features, dim=1), params, f\"net.{i}.0\", training)\n"
           "        features.append(_conv(F.relu(Y), params, f\"net.{i}.2\", padding=1))\n"
           "        state = {**state, **stats}\n"
           "    return torch.cat(features, dim=1), state\n"),
    # the average pooling before the 1 x 1 convolution: both are linear, so they commute (and it is 4x cheaper)
    Mutant("14", "blocks", "transition_block", "transition_pool_first",
           '    Y = _conv(F.relu(Y), params, "2")\n    return F.avg_pool2d(Y, kernel_size=2, stride=2), state\n',
           '    Y = F.avg_pool2d(F.relu(Y), kernel_size=2, stride=2)\n    return _conv(Y, params, "2"), state\n'),
]
