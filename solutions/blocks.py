"""Assignment 14: modern CNN blocks (NiN, GoogLeNet's Inception, ResNet, DenseNet).

Wire the building blocks of the networks that came after AlexNet from torch.nn.functional's
conv2d, batch_norm, relu, max_pool2d and avg_pool2d. Each block takes its parameters in a
dict whose keys are the state_dict keys of the book's PyTorch modules ("0.weight",
"p2_1.bias", "bn1.running_var", "net.1.2.weight", ...), and returns (Y, new_state):
new_state holds the updated running statistics of every batch norm of the block ({} for
blocks without one). Loops over a block's few layers are fine; loops over the images of
the batch are not. Do not use torch.nn's layer classes (nn.Module, nn.Sequential,
nn.BatchNorm2d, nn.AdaptiveAvgPool2d, ...), F.adaptive_avg_pool2d, F.adaptive_max_pool2d or
torchvision, and never modify the parameter dict or its tensors.
"""

import torch
import torch.nn.functional as F

MOMENTUM = 0.1  # nn.BatchNorm2d's defaults: weight of the new batch in the running statistics
EPS = 1e-5


def _conv(X: torch.Tensor, params: dict[str, torch.Tensor], name: str, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The convolution stored under `name` ("conv1", "p2_2", "net.0.2", ...), with its bias.

    Given, not graded: F.conv2d(X, params[name + ".weight"], params[name + ".bias"], stride, padding).
    The kernel size comes with the weight, of shape (out_channels, in_channels, k, k).
    """
    return F.conv2d(X, params[f"{name}.weight"], params[f"{name}.bias"], stride=stride, padding=padding)


def _batch_norm(
    X: torch.Tensor, params: dict[str, torch.Tensor], name: str, training: bool
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The batch norm stored under `name` ("bn1", "0", "net.2.0") applied to X (N, C, H, W).

    Returns (Y, {name + ".running_mean": ..., name + ".running_var": ...}), as 05's batch_norm
    does with nn.BatchNorm2d's momentum 0.1 and eps 1e-5: in training Y uses the batch
    statistics and the running ones are updated (with the unbiased batch variance); in eval
    mode Y uses the running statistics, which come back unchanged. F.batch_norm (allowed here)
    updates the running tensors you pass it IN PLACE: pass it copies, never params' own tensors.
    Not graded on its own; residual_block, dense_block and transition_block use it.
    """
    ### BEGIN SOLUTION
    running_mean = params[f"{name}.running_mean"].clone()
    running_var = params[f"{name}.running_var"].clone()
    Y = F.batch_norm(
        X, running_mean, running_var, params[f"{name}.weight"], params[f"{name}.bias"],
        training=training, momentum=MOMENTUM, eps=EPS,
    )
    return Y, {f"{name}.running_mean": running_mean, f"{name}.running_var": running_var}
    ### END SOLUTION


def global_avg_pool2d(X: torch.Tensor) -> torch.Tensor:
    """Global average pooling: the mean of each channel over its H x W positions.

    X: (N, C, H, W). Returns (N, C, 1, 1) (the dims are kept, like the book's GlobalAvgPool2d
    and F.adaptive_avg_pool2d(X, 1), which is not allowed here). NiN and ResNet end with it
    instead of large fully connected layers: one number per channel, i.e. per class for NiN.
    """
    ### BEGIN SOLUTION
    return X.mean(dim=(2, 3), keepdim=True)
    ### END SOLUTION


def nin_block(
    X: torch.Tensor, params: dict[str, torch.Tensor], stride: int | tuple[int, int], padding: int | tuple[int, int]
) -> tuple[torch.Tensor, dict]:
    """A NiN block: a k x k convolution and two 1 x 1 convolutions, each followed by a ReLU.

    X: (N, C, H, W). params: the state_dict of nn.Sequential(Conv2d(C, O, k, stride, padding),
    ReLU(), Conv2d(O, O, 1), ReLU(), Conv2d(O, O, 1), ReLU()): "0.weight" (O, C, k, k),
    "0.bias" (O,), "2.weight", "4.weight" (O, O, 1, 1), "2.bias", "4.bias" (O,). The ReLUs
    have no parameters, hence the gaps in the numbering.

        Y = relu(conv_4(relu(conv_2(relu(conv_0(X, stride, padding))))))

    stride and padding belong to the first convolution only; the 1 x 1 ones act on each
    position separately, like a fully connected layer over the channels. Returns (Y, {}):
    Y is (N, O, H', W') with H' = (H + 2 * padding - k) // stride + 1.
    """
    ### BEGIN SOLUTION
    Y = F.relu(_conv(X, params, "0", stride=stride, padding=padding))
    Y = F.relu(_conv(Y, params, "2"))
    Y = F.relu(_conv(Y, params, "4"))
    return Y, {}
    ### END SOLUTION


def inception_block(X: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
    """GoogLeNet's Inception block: four parallel paths concatenated along the channels.

    X: (N, C, H, W). params: "<layer>.weight" and "<layer>.bias" of the book's Inception:
    p1_1 (1 x 1), p2_1 (1 x 1) and p2_2 (3 x 3), p3_1 (1 x 1) and p3_2 (5 x 5), p4_2 (1 x 1).

        p1 = relu(p1_1(X))
        p2 = relu(p2_2(relu(p2_1(X))))            3 x 3 with padding 1
        p3 = relu(p3_2(relu(p3_1(X))))            5 x 5 with padding 2
        p4 = relu(p4_2(maxpool_3x3(X)))           max pooling: stride 1, padding 1
        Y  = cat([p1, p2, p3, p4], dim=1)         in that order

    Every path keeps H and W. The max pooling pads with -inf (F.max_pool2d does): padding with
    zeros would let a 0 win at the border wherever the inputs there are all negative.
    Returns (Y, {}), Y of shape (N, c1 + c2 + c3 + c4, H, W).
    """
    ### BEGIN SOLUTION
    p1 = F.relu(_conv(X, params, "p1_1"))
    p2 = F.relu(_conv(F.relu(_conv(X, params, "p2_1")), params, "p2_2", padding=1))
    p3 = F.relu(_conv(F.relu(_conv(X, params, "p3_1")), params, "p3_2", padding=2))
    p4 = F.relu(_conv(F.max_pool2d(X, kernel_size=3, stride=1, padding=1), params, "p4_2"))
    return torch.cat([p1, p2, p3, p4], dim=1), {}
    ### END SOLUTION


def residual_block(
    X: torch.Tensor, params: dict[str, torch.Tensor], stride: int = 1, training: bool = False
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """ResNet's residual block (the book's Residual), batch norm included.

    X: (N, C, H, W). params: "conv1.weight" (O, C, 3, 3), "conv2.weight" (O, O, 3, 3) and their
    biases; "bn1.*" and "bn2.*" (weight, bias, running_mean, running_var, each (O,)); and,
    only when the shortcut needs it, the 1 x 1 convolution "conv3.weight" (O, C, 1, 1),
    "conv3.bias" (its presence means use_1x1conv=True).

        Y = relu(bn1(conv1(X)))                   3 x 3, padding 1, stride `stride`
        Y = bn2(conv2(Y))                         3 x 3, padding 1, NO ReLU yet
        shortcut = conv3(X) (1 x 1, stride `stride`) if conv3 is given, else X
        out = relu(Y + shortcut)                  the ReLU comes AFTER the addition

    With bn2's weight and bias at 0 the block is relu(shortcut(X)): learning the identity is
    easy. Without conv3 the shortcut is X itself, so the block may neither change the number
    of channels nor use a stride other than 1: raise ValueError then. The convolutions keep
    their biases, as in the book. training: batch statistics (and updated running ones) or
    running statistics, see _batch_norm. Returns (out, new_state), out (N, O, H', W') with
    H' = (H - 1) // stride + 1, and new_state the four running tensors of bn1 and bn2.
    """
    ### BEGIN SOLUTION
    has_conv3 = "conv3.weight" in params
    if not has_conv3 and (stride != 1 or params["conv1.weight"].shape[0] != X.shape[1]):
        raise ValueError("a stride other than 1 or a change of channels needs the 1 x 1 convolution conv3 on the shortcut")
    Y, state1 = _batch_norm(_conv(X, params, "conv1", stride=stride, padding=1), params, "bn1", training)
    Y, state2 = _batch_norm(_conv(F.relu(Y), params, "conv2", padding=1), params, "bn2", training)
    shortcut = _conv(X, params, "conv3", stride=stride) if has_conv3 else X
    return F.relu(Y + shortcut), {**state1, **state2}
    ### END SOLUTION


def dense_block(
    X: torch.Tensor, params: dict[str, torch.Tensor], num_convs: int, training: bool = False
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """DenseNet's dense block (the book's DenseBlock of conv_blocks).

    X: (N, C, H, W). Conv block i (i = 0 .. num_convs - 1) is batch norm "net.{i}.0" (its
    weight, bias, running_mean and running_var are (C + i * g,)), a ReLU, and the 3 x 3
    convolution "net.{i}.2" (padding 1, weight (g, C + i * g, 3, 3), bias (g,)): the
    pre-activation order BN -> ReLU -> conv. Each block sees everything so far:

        out = X
        for i in range(num_convs):
            out = cat([out, conv_block_i(out)], dim=1)      input first, then the new channels

    Returns (out, new_state): out (N, C + num_convs * g, H, W), whose first C channels are X
    itself, and new_state the running statistics of all num_convs batch norms.
    """
    ### BEGIN SOLUTION
    out, state = X, {}
    for i in range(num_convs):
        Y, stats = _batch_norm(out, params, f"net.{i}.0", training)
        Y = _conv(F.relu(Y), params, f"net.{i}.2", padding=1)
        out = torch.cat([out, Y], dim=1)
        state.update(stats)
    return out, state
    ### END SOLUTION


def transition_block(
    X: torch.Tensor, params: dict[str, torch.Tensor], training: bool = False
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """DenseNet's transition layer: fewer channels, half the height and width.

    X: (N, C, H, W). params: the state_dict of nn.Sequential(BatchNorm2d(C), ReLU(),
    Conv2d(C, O, 1), AvgPool2d(2, 2)): "0.*" (weight, bias, running_mean, running_var, (C,))
    and "2.weight" (O, C, 1, 1), "2.bias" (O,).

        Y = avg_pool_2x2(conv_2(relu(bn_0(X))))     average pooling, kernel 2, stride 2

    Returns (Y, new_state): Y (N, O, H // 2, W // 2) (an odd last row or column is dropped,
    as F.avg_pool2d does) and new_state the running statistics of the batch norm "0".
    """
    ### BEGIN SOLUTION
    Y, state = _batch_norm(X, params, "0", training)
    Y = _conv(F.relu(Y), params, "2")
    return F.avg_pool2d(Y, kernel_size=2, stride=2), state
    ### END SOLUTION
