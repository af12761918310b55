"""Hidden tests for assignment 15 (object detection basics).

Edge cases the public tests do not show: larger and coarser inputs (many exact ties), empty
sets, pixel coordinates, all-padding images, all-background predictions. Where the answer is
discrete (assignments, NMS, detections) the boxes lie on a grid, so that every IoU is exact
and any correct formulation gives the solution's answer.
"""

import torch
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from solutions import detection as solution


def _generator(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))


def _grid_boxes(g: torch.Generator, n: int, grid: int, dtype: torch.dtype, degenerate: bool = False, copies: int = 0) -> torch.Tensor:
    """n boxes with corners on multiples of 1/grid in [0, 1] (sides >= 1/grid unless degenerate); `copies` of them repeat others."""
    corners = torch.randint(0, grid, (n, 4), generator=g)
    x, y = corners[:, 0::2].sort(dim=1).values, corners[:, 1::2].sort(dim=1).values
    step = 0 if degenerate else 1
    boxes = torch.stack((x[:, 0], y[:, 0], x[:, 1] + step, y[:, 1] + step), dim=1).double() / grid
    for _ in range(copies if n > 1 else 0):
        i, j = torch.randint(0, n, (2,), generator=g).tolist()
        boxes[j] = boxes[i]
    return boxes.to(dtype)


def _float_boxes(g: torch.Generator, n: int, dtype: torch.dtype, scale: float = 1.0, min_side: float = 0.0) -> torch.Tensor:
    raw = torch.rand(n, 4, generator=g, dtype=torch.float64) * (1 - min_side)
    x, y = raw[:, 0::2].sort(dim=1).values, raw[:, 1::2].sort(dim=1).values
    return (torch.stack((x[:, 0], y[:, 0], x[:, 1] + min_side, y[:, 1] + min_side), dim=1) * scale).to(dtype)


@st.composite
def pixel_coordinates(draw, dtype):
    """Conversions of boxes in pixels (up to 1000), up to 3 leading dimensions."""
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
    return Call(((torch.rand(*shape, 4, generator=_generator(draw), dtype=torch.float64) * 1000).to(dtype),))


@st.composite
def wide_priors(draw, dtype):
    """Images up to 12 x 20 pixels, up to 5 sizes and 5 ratios, r_1 not necessarily 1."""
    sizes = draw(st.lists(st.sampled_from([0.05, 0.15, 0.3, 0.6, 0.8, 1.0]), min_size=1, max_size=5))
    ratios = draw(st.lists(st.sampled_from([0.2, 0.5, 1.0, 1.25, 2.0, 5.0]), min_size=1, max_size=5))
    return Call((draw(st.integers(1, 12)), draw(st.integers(1, 20)), sizes, ratios))


@st.composite
def empty_and_pixel_iou(draw, dtype):
    """box_iou with an empty set now and then, nested and coarse-grid boxes, or boxes in pixels."""
    g = _generator(draw)
    n, m = draw(st.integers(0, 9)), draw(st.integers(0, 9))
    kind = draw(st.sampled_from(["grid", "pixels", "nested"]))
    if kind == "grid":
        both = _grid_boxes(g, n + m, draw(st.sampled_from([2, 3, 32])), dtype, degenerate=draw(st.booleans()), copies=3)
        return Call((both[:n], both[n:]))
    if kind == "pixels":
        return Call((_float_boxes(g, n, dtype, 640.0), _float_boxes(g, m, dtype, 640.0)))
    outer = _float_boxes(g, max(n, 1), dtype, min_side=0.5)
    chosen = outer[torch.randint(0, len(outer), (m,), generator=g)]
    inner = chosen[:, [0, 1, 0, 1]] + torch.tensor([0.1, 0.1, 0.2, 0.3], dtype=dtype)  # a box inside each chosen outer box
    return Call((outer[:n], inner))


@st.composite
def crowded_assignments(draw, dtype):
    """G up to A (G = A included), coarse grids with many repeated boxes, thresholds 0, 1 and between."""
    g = _generator(draw)
    A = draw(st.integers(1, 12))
    G = draw(st.sampled_from([A, 1, min(A, 2), min(A, 5)]))
    both = _grid_boxes(g, G + A, draw(st.sampled_from([2, 3, 4, 8])), dtype, copies=draw(st.integers(0, 6)))
    kwargs = {"iou_threshold": draw(st.sampled_from([0.0, 1.0, 0.25, 0.5, 0.75]))} if draw(st.booleans()) else {}
    return Call((both[:G], both[G:]), kwargs)


@st.composite
def extreme_offsets(draw, dtype):
    """Boxes 20 times smaller or larger than their anchors, eps 0, 1e-6 or 1e-2."""
    g = _generator(draw)
    A = draw(st.integers(1, 10))
    anchors = _float_boxes(g, A, dtype, min_side=0.05)
    centre = (anchors[:, :2] + anchors[:, 2:]) / 2
    size = (anchors[:, 2:] - anchors[:, :2]) * torch.tensor(draw(st.sampled_from([0.05, 0.5, 2.0, 20.0])), dtype=dtype)
    boxes = torch.cat((centre - size / 2 + 0.01, centre + size / 2 + 0.01), dim=1)
    return Call((anchors, boxes), {"eps": draw(st.sampled_from([0.0, 1e-6, 1e-2]))} if draw(st.booleans()) else {})


@st.composite
def large_offset_predictions(draw, dtype):
    g = _generator(draw)
    A = draw(st.integers(1, 10))
    offsets = (torch.rand(A, 4, generator=g, dtype=torch.float64) * 20 - 10).to(dtype)
    return Call((_float_boxes(g, A, dtype, min_side=0.05), offsets))


@st.composite
def many_objects(draw, dtype):
    """Up to 4 images and 6 label rows, images that are all padding, up to 16 anchors on coarse grids."""
    g = _generator(draw)
    A, B, G = draw(st.integers(1, 16)), draw(st.integers(1, 4)), draw(st.integers(1, 6))
    grid = draw(st.sampled_from([3, 4, 8]))
    anchors = _grid_boxes(g, A, grid, dtype, copies=2)
    boxes = _grid_boxes(g, B * G, grid, dtype, copies=2).reshape(B, G, 4)
    classes = torch.randint(0, 4, (B, G), generator=g).double()
    for b in range(B):
        real = int(torch.randint(0, min(G, A) + 1, (), generator=g))
        padding = torch.randperm(G, generator=g)[real:]
        classes[b, padding] = -1.0
    return Call((anchors, torch.cat((classes[..., None].to(dtype), boxes), dim=-1)))


@st.composite
def nms_edge_cases(draw, dtype):
    """0 or 1 box, up to 30 boxes on coarse grids, every box the same, every score the same."""
    g = _generator(draw)
    N = draw(st.sampled_from([0, 1, 2, 5, 12, 30]))
    kind = draw(st.sampled_from(["grid", "identical", "equal_scores"]))
    boxes = _grid_boxes(g, N, draw(st.sampled_from([2, 4, 8])), dtype, copies=N // 3)
    if kind == "identical" and N:
        boxes = boxes[:1].expand(N, 4).clone()
    scores = torch.full((N,), 0.5, dtype=dtype) if kind == "equal_scores" else (torch.randint(0, 4, (N,), generator=g) / 4).to(dtype)
    return Call((boxes, scores, draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, -1.0]))))


@st.composite
def big_detections(draw, dtype):
    """Up to 3 images, 5 classes and 12 anchors; some images with every probability 0 (all rows background)."""
    g = _generator(draw)
    B, C, A = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 12))
    anchors = _grid_boxes(g, A, draw(st.sampled_from([4, 8])), dtype, copies=2)
    offsets = ((torch.randint(-4, 5, (B, A * 4), generator=g) / 4) * torch.randint(0, 2, (B, 1), generator=g)).to(dtype)
    cls_probs = (torch.randint(0, 10, (B, C + 1, A), generator=g) / 10 * torch.randint(0, 2, (B, 1, 1), generator=g)).to(dtype)
    ious = []
    for o in offsets.double().reshape(B, A, 4):
        X = solution.box_iou(*(2 * (solution.offset_inverse(anchors.double(), o),)))
        ious += X[torch.ones(A, A, dtype=torch.bool).tril(-1)].tolist()
    usable = [t for t in (0.25, 0.35, 0.45, 0.5, 0.55, 0.65) if all(abs(v - t) > 1e-3 for v in ious)]
    assume(usable)
    return Call((cls_probs, offsets, anchors), {"nms_threshold": draw(st.sampled_from(usable))})


HIDDEN = {
    "box_corner_to_center": (
        replace_inputs(agrees_with_solution(solution.box_corner_to_center), pixel_coordinates, "pixel coordinates, 3-D batches"),
    ),
    "box_center_to_corner": (
        replace_inputs(agrees_with_solution(solution.box_center_to_corner), pixel_coordinates, "pixel coordinates, 3-D batches"),
    ),
    "multibox_prior": (
        replace_inputs(agrees_with_solution(solution.multibox_prior), wide_priors, "wider images, more sizes and ratios"),
    ),
    "box_iou": (
        replace_inputs(agrees_with_solution(solution.box_iou), empty_and_pixel_iou, "empty sets, nested boxes, pixel coordinates"),
    ),
    "assign_anchor_to_bbox": (
        replace_inputs(agrees_with_solution(solution.assign_anchor_to_bbox), crowded_assignments, "crowded, tied boxes"),
    ),
    "offset_boxes": (
        replace_inputs(agrees_with_solution(solution.offset_boxes), extreme_offsets, "boxes much smaller or larger than their anchors"),
    ),
    "offset_inverse": (
        replace_inputs(agrees_with_solution(solution.offset_inverse), large_offset_predictions, "large offsets"),
    ),
    "multibox_target": (
        replace_inputs(agrees_with_solution(solution.multibox_target), many_objects, "more images, objects and padding"),
    ),
    "nms": (
        replace_inputs(agrees_with_solution(solution.nms), nms_edge_cases, "empty, single, identical boxes and equal scores"),
    ),
    "multibox_detection": (
        replace_inputs(agrees_with_solution(solution.multibox_detection), big_detections, "more images, classes and anchors"),
    ),
}
