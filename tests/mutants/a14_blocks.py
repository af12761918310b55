"""Wrong implementations of assignment 14 (modern CNN blocks)."""

from mutants import Mutant

RESIDUAL_OUT = "return F.relu(Y + shortcut), {**state1, **state2}"
DENSE_CAT = "out = torch.cat([out, Y], dim=1)"

MUTANTS = [
    # global_avg_pool2d
    Mutant("14", "blocks", "global_avg_pool2d", "gap_without_keepdim",
           "X.mean(dim=(2, 3), keepdim=True)", "X.mean(dim=(2, 3))"),
    Mutant("14", "blocks", "global_avg_pool2d", "gap_over_height_only",
           "X.mean(dim=(2, 3), keepdim=True)", "X.mean(dim=2, keepdim=True)"),
    Mutant("14", "blocks", "global_avg_pool2d", "gap_over_channels_and_height",
           "X.mean(dim=(2, 3), keepdim=True)", "X.mean(dim=(1, 2), keepdim=True)"),
    Mutant("14", "blocks", "global_avg_pool2d", "gap_sum_not_mean",
           "X.mean(dim=(2, 3), keepdim=True)", "X.sum(dim=(2, 3), keepdim=True)"),
    Mutant("14", "blocks", "global_avg_pool2d", "gap_global_max",
           "X.mean(dim=(2, 3), keepdim=True)", "X.amax(dim=(2, 3), keepdim=True)"),
    # nin_block
    Mutant("14", "blocks", "nin_block", "nin_no_final_relu",
           'Y = F.relu(_conv(Y, params, "4"))', 'Y = _conv(Y, params, "4")'),
    Mutant("14", "blocks", "nin_block", "nin_no_relu_between_1x1",
           'Y = F.relu(_conv(Y, params, "2"))', 'Y = _conv(Y, params, "2")'),
    Mutant("14", "blocks", "nin_block", "nin_stride_on_every_conv",
           'Y = F.relu(_conv(Y, params, "2"))', 'Y = F.relu(_conv(Y, params, "2", stride=stride))'),
    Mutant("14", "blocks", "nin_block", "nin_padding_on_every_conv",
           'Y = F.relu(_conv(Y, params, "4"))', 'Y = F.relu(_conv(Y, params, "4", padding=padding))'),
    Mutant("14", "blocks", "nin_block", "nin_padding_ignored",
           'stride=stride, padding=padding))', "stride=stride))"),
    Mutant("14", "blocks", "nin_block", "nin_1x1_layers_swapped",
           'Y = F.relu(_conv(Y, params, "2"))\n    Y = F.relu(_conv(Y, params, "4"))',
           'Y = F.relu(_conv(Y, params, "4"))\n    Y = F.relu(_conv(Y, params, "2"))'),
    # inception_block
    Mutant("14", "blocks", "inception_block", "inception_pool_pads_zeros",
           "F.max_pool2d(X, kernel_size=3, stride=1, padding=1)", "F.max_pool2d(F.pad(X, (1, 1, 1, 1)), kernel_size=3, stride=1)"),
    Mutant("14", "blocks", "inception_block", "inception_average_pooling",
           "F.max_pool2d(X, kernel_size=3, stride=1, padding=1)", "F.avg_pool2d(X, kernel_size=3, stride=1, padding=1)"),
    Mutant("14", "blocks", "inception_block", "inception_pool_after_conv",
           'p4 = F.relu(_conv(F.max_pool2d(X, kernel_size=3, stride=1, padding=1), params, "p4_2"))',
           'p4 = F.relu(F.max_pool2d(_conv(X, params, "p4_2"), kernel_size=3, stride=1, padding=1))'),
    Mutant("14", "blocks", "inception_block", "inception_paths_out_of_order",
           "torch.cat([p1, p2, p3, p4], dim=1)", "torch.cat([p1, p3, p2, p4], dim=1)"),
    Mutant("14", "blocks", "inception_block", "inception_cat_along_batch",
           "torch.cat([p1, p2, p3, p4], dim=1)", "torch.cat([p1, p2, p3, p4], dim=0)"),
    Mutant("14", "blocks", "inception_block", "inception_no_inner_relu",
           'F.relu(_conv(F.relu(_conv(X, params, "p3_1")), params, "p3_2", padding=2))',
           'F.relu(_conv(_conv(X, params, "p3_1"), params, "p3_2", padding=2))'),
    Mutant("14", "blocks", "inception_block", "inception_no_relu_on_pool_path",
           'p4 = F.relu(_conv(F.max_pool2d(X, kernel_size=3, stride=1, padding=1), params, "p4_2"))',
           'p4 = _conv(F.max_pool2d(X, kernel_size=3, stride=1, padding=1), params, "p4_2")'),
    # residual_block
    Mutant("14", "blocks", "residual_block", "residual_shortcut_after_final_relu",
           RESIDUAL_OUT, "return F.relu(Y) + shortcut, {**state1, **state2}"),
    Mutant("14", "blocks", "residual_block", "residual_relu_before_addition",
           RESIDUAL_OUT, "return F.relu(F.relu(Y) + shortcut), {**state1, **state2}"),
    Mutant("14", "blocks", "residual_block", "residual_no_final_relu",
           RESIDUAL_OUT, "return Y + shortcut, {**state1, **state2}"),
    Mutant("14", "blocks", "residual_block", "residual_shortcut_without_stride",
           '_conv(X, params, "conv3", stride=stride)', '_conv(X, params, "conv3")'),
    Mutant("14", "blocks", "residual_block", "residual_stride_on_conv2",
           '_conv(X, params, "conv1", stride=stride, padding=1), params, "bn1", training)\n'
           '    Y, state2 = _batch_norm(_conv(F.relu(Y), params, "conv2", padding=1)',
           '_conv(X, params, "conv1", padding=1), params, "bn1", training)\n'
           '    Y, state2 = _batch_norm(_conv(F.relu(Y), params, "conv2", stride=stride, padding=1)'),
    Mutant("14", "blocks", "residual_block", "residual_conv3_ignored",
           'shortcut = _conv(X, params, "conv3", stride=stride) if has_conv3 else X', "shortcut = X"),
    Mutant("14", "blocks", "residual_block", "residual_no_relu_after_bn1",
           '_conv(F.relu(Y), params, "conv2", padding=1)', '_conv(Y, params, "conv2", padding=1)'),
    Mutant("14", "blocks", "residual_block", "residual_conv1_without_bias",
           '_conv(X, params, "conv1", stride=stride, padding=1)', 'F.conv2d(X, params["conv1.weight"], stride=stride, padding=1)'),
    Mutant("14", "blocks", "residual_block", "residual_bn1_state_dropped",
           RESIDUAL_OUT, "return F.relu(Y + shortcut), state2"),
    Mutant("14", "blocks", "residual_block", "residual_eval_uses_batch_statistics",
           'params, "bn2", training)', 'params, "bn2", True)'),
    Mutant("14", "blocks", "residual_block", "residual_stride_unchecked",
           'if not has_conv3 and (stride != 1 or params["conv1.weight"].shape[0] != X.shape[1]):',
           'if not has_conv3 and params["conv1.weight"].shape[0] != X.shape[1]:'),
    Mutant("14", "blocks", "residual_block", "residual_channels_unchecked",
           'if not has_conv3 and (stride != 1 or params["conv1.weight"].shape[0] != X.shape[1]):',
           "if not has_conv3 and stride != 1:"),
    # dense_block
    Mutant("14", "blocks", "dense_block", "dense_cat_along_batch",
           DENSE_CAT, "out = torch.cat([out, Y], dim=0)"),
    Mutant("14", "blocks", "dense_block", "dense_new_channels_first",
           DENSE_CAT, "out = torch.cat([Y, out], dim=1)"),
    Mutant("14", "blocks", "dense_block", "dense_only_last_output",
           DENSE_CAT, "out = torch.cat([X, Y], dim=1)"),
    Mutant("14", "blocks", "dense_block", "dense_bn_conv_relu_order",
           'Y = _conv(F.relu(Y), params, f"net.{i}.2", padding=1)', 'Y = F.relu(_conv(Y, params, f"net.{i}.2", padding=1))'),
    Mutant("14", "blocks", "dense_block", "dense_no_relu",
           'Y = _conv(F.relu(Y), params, f"net.{i}.2", padding=1)', 'Y = _conv(Y, params, f"net.{i}.2", padding=1)'),
    Mutant("14", "blocks", "dense_block", "dense_state_of_last_block_only",
           "state.update(stats)", "state = stats"),
    Mutant("14", "blocks", "dense_block", "dense_always_eval",
           'params, f"net.{i}.0", training)', 'params, f"net.{i}.0", False)'),
    # transition_block
    Mutant("14", "blocks", "transition_block", "transition_max_pooling",
           "F.avg_pool2d(Y, kernel_size=2, stride=2)", "F.max_pool2d(Y, kernel_size=2, stride=2)"),
    Mutant("14", "blocks", "transition_block", "transition_pool_ceil_mode",
           "F.avg_pool2d(Y, kernel_size=2, stride=2)", "F.avg_pool2d(Y, kernel_size=2, stride=2, ceil_mode=True)"),
    Mutant("14", "blocks", "transition_block", "transition_pool_stride_1",
           "F.avg_pool2d(Y, kernel_size=2, stride=2)", "F.avg_pool2d(Y, kernel_size=2, stride=1)"),
    Mutant("14", "blocks", "transition_block", "transition_no_relu",
           'Y = _conv(F.relu(Y), params, "2")', 'Y = _conv(Y, params, "2")'),
    Mutant("14", "blocks", "transition_block", "transition_conv_before_bn",
           'Y, state = _batch_norm(X, params, "0", training)\n    Y = _conv(F.relu(Y), params, "2")',
           'Y, state = _batch_norm(_conv(X, params, "2"), params, "0", training)\n    Y = F.relu(Y)'),
    Mutant("14", "blocks", "transition_block", "transition_state_dropped",
           "stride=2), state", "stride=2), {}"),
    Mutant("14", "blocks", "transition_block", "transition_always_training",
           'params, "0", training)', 'params, "0", True)'),
    # F.batch_norm on the parameter dict's own running tensors: right values, but the caller's dict is changed in place
    Mutant("14", "blocks", "transition_block", "transition_updates_params_in_place",
           'Y, state = _batch_norm(X, params, "0", training)',
           'state = {"0.running_mean": params["0.running_mean"], "0.running_var": params["0.running_var"]}\n'
           '    Y = F.batch_norm(X, state["0.running_mean"], state["0.running_var"], params["0.weight"], params["0.bias"], training=training)'),
    # the book's from-scratch convention (momentum = weight of the OLD statistics) with PyTorch's 0.9
    Mutant("14", "blocks", "transition_block", "transition_book_momentum",
           'Y, state = _batch_norm(X, params, "0", training)',
           'state = {"0.running_mean": params["0.running_mean"].clone(), "0.running_var": params["0.running_var"].clone()}\n'
           '    Y = F.batch_norm(X, state["0.running_mean"], state["0.running_var"], params["0.weight"], params["0.bias"], training=training, momentum=0.9)'),
]

# Python loops over the images of the batch: correct values, but a few convolutions per image. The
# efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("14", "blocks", "global_avg_pool2d", "gap_loop_over_images",
           "return X.mean(dim=(2, 3), keepdim=True)", "return torch.stack([x.mean(dim=(1, 2), keepdim=True) for x in X])"),
    Mutant("14", "blocks", "nin_block", "nin_loop_over_images",
           '    Y = F.relu(_conv(X, params, "0", stride=stride, padding=padding))\n',
           "    if X.shape[0] > 1:  # one image at a time\n"
           "        return torch.cat([nin_block(x[None], params, stride, padding)[0] for x in X]), {}\n"
           '    Y = F.relu(_conv(X, params, "0", stride=stride, padding=padding))\n'),
    Mutant("14", "blocks", "inception_block", "inception_loop_over_images",
           '    p1 = F.relu(_conv(X, params, "p1_1"))\n',
           "    if X.shape[0] > 1:  # one image at a time\n"
           "        return torch.cat([inception_block(x[None], params)[0] for x in X]), {}\n"
           '    p1 = F.relu(_conv(X, params, "p1_1"))\n'),
    Mutant("14", "blocks", "residual_block", "residual_loop_over_images",
           '    Y, state1 = _batch_norm(_conv(X, params, "conv1", stride=stride, padding=1), params, "bn1", training)\n'
           '    Y, state2 = _batch_norm(_conv(F.relu(Y), params, "conv2", padding=1), params, "bn2", training)\n',
           "    def per_image(Z, name, **options):  # the convolutions one image at a time (batch norm needs the batch)\n"
           "        return torch.cat([_conv(z[None], params, name, **options) for z in Z])\n\n"
           '    Y, state1 = _batch_norm(per_image(X, "conv1", stride=stride, padding=1), params, "bn1", training)\n'
           '    Y, state2 = _batch_norm(per_image(F.relu(Y), "conv2", padding=1), params, "bn2", training)\n'),
    Mutant("14", "blocks", "dense_block", "dense_loop_over_images",
           'Y = _conv(F.relu(Y), params, f"net.{i}.2", padding=1)',
           'Y = torch.cat([_conv(F.relu(y[None]), params, f"net.{i}.2", padding=1) for y in Y])  # one image at a time'),
    Mutant("14", "blocks", "transition_block", "transition_loop_over_images",
           '    Y = _conv(F.relu(Y), params, "2")\n    return F.avg_pool2d(Y, kernel_size=2, stride=2), state\n',
           '    Y = torch.cat([F.avg_pool2d(_conv(F.relu(y[None]), params, "2"), kernel_size=2, stride=2) for y in Y])  # one image at a time\n'
           "    return Y, state\n"),
]
MUTANTS += LOOPS
