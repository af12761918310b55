"""Honest rewrites of assignment 05 (normalisation layers)."""

from mutants import Mutant

HONEST = [
    # torch.var_mean with the biased variance, and a multiplication by rsqrt
    Mutant("05", "norm", "batch_norm", "var_mean_rsqrt",
           "        mean = X.mean(dim=dims, keepdim=True)\n"
           "        var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # biased: divides by m\n"
           "        X_hat = (X - mean) / torch.sqrt(var + eps)\n",
           "        var, mean = torch.var_mean(X, dim=dims, unbiased=False, keepdim=True)  # biased: divides by m\n"
           "        X_hat = (X - mean) * torch.rsqrt(var + eps)\n"),
    # in float64, every result cast back (the float64 call is this same function)
    Mutant("05", "norm", "batch_norm", "batch_norm_float64_inside",
           "    dims = [0, *range(2, X.ndim)]  # every dimension but the channel dimension 1\n",
           "    if X.dtype != torch.float64:\n"
           "        wide = (t.double() for t in (X, gamma, beta, running_mean, running_var))\n"
           "        return tuple(t.to(X.dtype) for t in batch_norm(*wide, training, momentum, eps))\n"
           "    dims = [0, *range(2, X.ndim)]  # every dimension but the channel dimension 1\n"),
    # the trailing dims flattened into one, then torch.var_mean over it
    Mutant("05", "norm", "layer_norm", "flattened_var_mean",
           "    dims = tuple(range(-len(normalized_shape), 0))\n"
           "    mean = X.mean(dim=dims, keepdim=True)\n"
           "    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)\n"
           "    Y = (X - mean) / torch.sqrt(var + eps)\n",
           "    flat = X.reshape(*X.shape[: X.ndim - len(normalized_shape)], -1)\n"
           "    var, mean = torch.var_mean(flat, dim=-1, unbiased=False, keepdim=True)\n"
           "    Y = ((flat - mean) / (var + eps).sqrt()).reshape(X.shape)\n"),
    # in float64, cast back (the float64 call is this same function)
    Mutant("05", "norm", "layer_norm", "layer_norm_float64_inside",
           "    dims = tuple(range(-len(normalized_shape), 0))\n    mean = X.mean(dim=dims, keepdim=True)\n",
           "    if X.dtype != torch.float64:\n"
           "        wide = [None if t is None else t.double() for t in (weight, bias)]\n"
           "        return layer_norm(X.double(), normalized_shape, *wide, eps).to(X.dtype)\n"
           "    dims = tuple(range(-len(normalized_shape), 0))\n    mean = X.mean(dim=dims, keepdim=True)\n"),
]
