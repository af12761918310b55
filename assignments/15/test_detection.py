"""Public tests for assignment 15 (object detection basics).

Each graded function is described once below: how its inputs are drawn, what it must agree
with, and the properties it must have. The tests are generated from these records for every
dtype (and for CUDA when one is present). Run: pytest assignments/15

PyTorch itself has no boxes, IoU or NMS (torchvision does, and it is off limits), so the
references are plain Python loops over the boxes, written from the definitions. Most inputs
put the box corners on a coarse grid (multiples of 1/4, 1/8 or 1/16): then every area is
exact in floating point, equal IoUs are exactly equal, and an IoU equal to a threshold is
exactly equal to it, so that ties and `>` against `>=` are tested for real, and the answer
does not depend on how you round.
"""

import math

import torch
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import seeded, shapes

SEEDS = st.integers(0, 2**31 - 1)
GRIDS = (4, 8, 16)  # box corners are multiples of 1/grid
THRESHOLDS = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75)  # dyadic: an exact IoU equals one of them exactly, or is far from it
STRUCTURAL = {"dtypes": (torch.float32,), "examples": 10}  # properties that do not depend on the dtype
# Offsets divide by anchor widths and take logarithms: a float32 rounding of a coordinate (6e-8) becomes
# 10 * 6e-8 / w_a, up to 1e-5 for the narrowest anchors drawn. Every mistake the tests target is of order 1.
OFFSET_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-4)}
INVERSE_TOLERANCE = {torch.float32: Tolerance(2e-5, 1e-5)}

# ---------------------------------------------------------------- plain Python boxes


def pair_iou(a, b) -> float:
    """IoU of two corner-form boxes given as lists of Python floats (0 where both have zero area)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def iou_lists(boxes1: torch.Tensor, boxes2: torch.Tensor) -> list[list[float]]:
    """Every pair's IoU in float64 Python arithmetic: exact up to one division for boxes on a grid."""
    rows1, rows2 = boxes1.double().tolist(), boxes2.double().tolist()
    return [[pair_iou(a, b) for b in rows2] for a in rows1]


def stable_order(scores: torch.Tensor) -> list[int]:
    """Indices by descending score, equal scores by ascending index."""
    values = scores.tolist()
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


def index_list(value, what="output") -> list[int]:
    """A 1-D int64 tensor as a list, or an AssertionError saying what it is instead."""
    if type(value) is not torch.Tensor or value.dtype != torch.int64 or value.dim() != 1:
        got = f"a {value.dtype} tensor of shape {tuple(value.shape)}" if type(value) is torch.Tensor else type(value).__name__
        raise AssertionError(f"{what}: expected a 1-D int64 tensor of indices, got {got}")
    return value.tolist()


# ---------------------------------------------------------------- inputs: boxes


def generator(draw) -> torch.Generator:
    """A torch.Generator seeded by hypothesis: a tensor drawn from it costs hypothesis one draw, not one per value."""
    return torch.Generator().manual_seed(draw(SEEDS))


def random_grid_boxes(g: torch.Generator, n: int, grid: int, dtype: torch.dtype, degenerate: bool = False) -> torch.Tensor:
    """n corner-form boxes with corners on multiples of 1/grid in [0, 1], each side at least 1/grid (`degenerate`: or 0)."""
    corners = torch.randint(0, grid, (n, 4), generator=g)
    x, y = corners[:, 0::2].sort(dim=1).values, corners[:, 1::2].sort(dim=1).values
    step = 0 if degenerate else 1
    return (torch.stack((x[:, 0], y[:, 0], x[:, 1] + step, y[:, 1] + step), dim=1).double() / grid).to(dtype)


def random_float_boxes(g: torch.Generator, n: int, dtype: torch.dtype, min_side: float = 0.0, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """n corner-form boxes with any corners in [low, high] (x1 <= x2, y1 <= y2), sides at least min_side."""
    raw = low + torch.rand(n, 4, generator=g, dtype=torch.float64) * (high - low - min_side)
    x, y = raw[:, 0::2].sort(dim=1).values, raw[:, 1::2].sort(dim=1).values
    return torch.stack((x[:, 0], y[:, 0], x[:, 1] + min_side, y[:, 1] + min_side), dim=1).to(dtype)


def random_choices(g: torch.Generator, values: tuple[float, ...], shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)[torch.randint(len(values), shape, generator=g)].to(dtype)


@st.composite
def grid_boxes(draw, n, dtype, grid=None, degenerate=False, duplicates=True):
    """n boxes on a grid of 1/grid (random_grid_boxes); a few boxes may repeat an earlier one exactly."""
    grid = grid or draw(st.sampled_from(GRIDS))
    g = generator(draw)
    boxes = random_grid_boxes(g, n, grid, dtype, degenerate)
    if duplicates and n > 1:
        for _ in range(int(torch.randint(0, 3, (), generator=g))):
            i, j = sorted(torch.randint(0, n, (2,), generator=g).tolist())
            boxes[j] = boxes[i]
    return boxes


@st.composite
def float_boxes(draw, n, dtype, min_side=0.0, low=0.0, high=1.0):
    return random_float_boxes(generator(draw), n, dtype, min_side, low, high)


# ---------------------------------------------------------------- box_corner_to_center, box_center_to_corner


def corner_to_center_formula(boxes):
    x1, y1, x2, y2 = boxes.double().unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1).to(boxes.dtype)


def center_to_corner_formula(boxes):
    cx, cy, w, h = boxes.double().unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1).to(boxes.dtype)


@st.composite
def box_arrays(draw, dtype):
    """boxes (..., 4): any leading shape, any values (a conversion is a formula, valid boxes or not)."""
    batch = draw(shapes(0, 2, 1, 4))
    return Call(((-2 + 4 * torch.rand(*batch, 4, generator=generator(draw), dtype=torch.float64)).to(dtype),))


@st.composite
def center_boxes_as_corners(draw, dtype):
    """box_corner_to_center(corners): the corners of center-form boxes b (w, h >= 0), b in `extra`."""
    batch = draw(shapes(1, 2, 1, 4))
    center = (2 * torch.rand(*batch, 4, generator=generator(draw), dtype=torch.float64)).to(dtype)
    return Call((center_to_corner_formula(center),), extra={"round_trip": center})


@st.composite
def corner_boxes_as_centers(draw, dtype):
    """box_center_to_corner(centers): the centers of corner-form boxes b, b in `extra`."""
    batch = draw(shapes(1, 2, 1, 4))
    corner = draw(float_boxes(math.prod(batch), dtype, low=-1.0, high=2.0)).reshape(*batch, 4)
    return Call((corner_to_center_formula(corner),), extra={"round_trip": corner})


def gives_back_the_boxes(what):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.call.extra["round_trip"], what)

    return verify


# ---------------------------------------------------------------- multibox_prior

SIZES = (0.1, 0.2, 0.25, 0.4, 0.5, 0.75, 0.9, 1.0)
RATIOS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


def reference_multibox_prior(height, width, sizes, ratios):
    """One pixel, then one shape, at a time: (s_1..s_n, r_1), then (s_1, r_2..r_m)."""
    shapes_ = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    rows = []
    for y in range(height):
        for x in range(width):
            cx, cy = (x + 0.5) / width, (y + 0.5) / height
            for s, r in shapes_:
                w, h = s * math.sqrt(r) * height / width, s / math.sqrt(r)
                rows.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return torch.tensor(rows, dtype=torch.float64).float()


@st.composite
def prior_inputs(draw, dtype, non_square=False, several=False):
    """multibox_prior(height, width, sizes, ratios): up to 5 x 5 pixels, 1-3 sizes and ratios."""
    height, width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    if non_square:
        assume(height != width)
    count = (2, 3) if several else (1, 3)
    sizes = draw(st.lists(st.sampled_from(SIZES), min_size=count[0], max_size=count[1], unique=several))
    ratios = draw(st.lists(st.sampled_from(RATIOS), min_size=count[0], max_size=count[1], unique=several))
    return Call((height, width, sizes, ratios))


def non_square_images(dtype):
    return prior_inputs(dtype, non_square=True)


def several_shapes(dtype):
    return prior_inputs(dtype, several=True)


def prior_layout(t: Trial) -> torch.Tensor:
    """The output as (height * width, k, 4), after checking its shape."""
    height, width, sizes, ratios = t.call.args
    k = len(sizes) + len(ratios) - 1
    out = t.output
    if type(out) is not torch.Tensor or out.shape != (height * width * k, 4):
        got = tuple(out.shape) if type(out) is torch.Tensor else type(out).__name__
        raise AssertionError(f"expected shape (height * width * (n + m - 1), 4) = {(height * width * k, 4)}, got {got}")
    return out.double().reshape(height * width, k, 4)


def anchor_count(t: Trial) -> None:
    prior_layout(t)


def centres_shared_per_pixel(t: Trial) -> None:
    anchors = prior_layout(t)
    centres = (anchors[..., :2] + anchors[..., 2:]) / 2  # (pixels, k, 2)
    t.assert_close(centres, centres[:, :1].expand_as(centres), "the centres of each pixel's anchors (all equal to its first's)", scale=10)


def pixel_aspect_ratios(t: Trial) -> None:
    height, width, sizes, ratios = t.call.args
    anchors = prior_layout(t)
    pixel_w = (anchors[..., 2] - anchors[..., 0]) * width
    pixel_h = (anchors[..., 3] - anchors[..., 1]) * height
    expected = torch.tensor([ratios[0]] * len(sizes) + list(ratios[1:]), dtype=torch.float64).expand_as(pixel_w)
    t.assert_close(pixel_w / pixel_h, expected, "width / height of each anchor in pixels (r_1 for the n sizes, then r_2..r_m)", scale=10)


def first_anchor_area(t: Trial) -> None:
    height, width, sizes, _ = t.call.args
    anchors = prior_layout(t)[:, 0]  # (pixels, 4): the (s_1, r_1) anchor of every pixel
    area = (anchors[:, 2] - anchors[:, 0]) * width * (anchors[:, 3] - anchors[:, 1]) * height
    t.assert_close(area, torch.full_like(area, (sizes[0] * height) ** 2), "pixel area of each pixel's first anchor, (s_1 * height)^2", scale=10)


def matches_prior(t: Trial) -> None:
    t.assert_close(t.output, t.expected(reference_multibox_prior), "anchors")


# ---------------------------------------------------------------- box_iou


def reference_box_iou(boxes1, boxes2):
    """Every pair, one at a time."""
    values = iou_lists(boxes1, boxes2)
    return torch.tensor(values, dtype=torch.float64).reshape(len(boxes1), len(boxes2)).to(boxes1.dtype)


@st.composite
def iou_inputs(draw, dtype, sizes=(1, 6)):
    """box_iou(boxes1 (N, 4), boxes2 (M, 4)): arbitrary corners in [0, 1], or corners on a grid
    (where equal, nested, touching and duplicated boxes are common); now and then zero-area boxes."""
    n, m = draw(st.integers(*sizes)), draw(st.integers(*sizes))
    if draw(st.booleans()):
        boxes1, boxes2 = draw(float_boxes(n, dtype)), draw(float_boxes(m, dtype))
    else:
        degenerate = draw(st.booleans())
        grid = draw(st.sampled_from(GRIDS))
        both = draw(grid_boxes(n + m, dtype, grid, degenerate=degenerate))
        boxes1, boxes2 = both[:n], both[n:]
    return Call((boxes1, boxes2))


@st.composite
def grid_pairs(draw, dtype, grid=16):
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    both = draw(grid_boxes(n + m, dtype, grid))
    return Call((both[:n], both[n:]))


@st.composite
def transformed_pairs(draw, dtype):
    """Grid boxes and a translation and scaling by powers of two: the transformed boxes are exact."""
    call = draw(grid_pairs(dtype))
    shift = draw(st.sampled_from([-1.0, -0.25, 0.5, 3.0]))
    scale = draw(st.sampled_from([0.25, 0.5, 2.0, 8.0]))
    return Call(call.args, extra={"shift": shift, "scale": scale})


@st.composite
def disjoint_pairs(draw, dtype):
    """boxes1 left of x = 1/2, boxes2 right of it (they may touch along it): no pair overlaps."""
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    left = draw(grid_boxes(n, dtype, 8)) * torch.tensor([0.5, 1, 0.5, 1], dtype=dtype)
    right = draw(grid_boxes(m, dtype, 8)) * torch.tensor([0.5, 1, 0.5, 1], dtype=dtype) + torch.tensor([0.5, 0, 0.5, 0], dtype=dtype)
    return Call((left, right) if draw(st.booleans()) else (right, left))


@st.composite
def zero_area_pairs(draw, dtype):
    """Grid boxes among which boxes1[i] has width 0 and boxes2[j] height 0: that pair's union is 0."""
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    both = draw(grid_boxes(n + m, dtype, 8, degenerate=True))
    i, j = draw(st.integers(0, n - 1)), draw(st.integers(n, n + m - 1))
    both[i, 2] = both[i, 0]
    both[j, 3] = both[j, 1]
    return Call((both[:n], both[n:]))


def as_matrix(t: Trial, N: int, M: int) -> torch.Tensor:
    out = t.output
    if type(out) is not torch.Tensor or out.shape != (N, M):
        got = tuple(out.shape) if type(out) is torch.Tensor else type(out).__name__
        raise AssertionError(f"expected an (N, M) = {(N, M)} tensor, got {got}")
    return out


def rasterised_iou(boxes1, boxes2, points=64):
    """IoU by counting the centres of a points x points grid of cells that fall in each box, their intersection and their union."""
    centres = (torch.arange(points, dtype=torch.float64) + 0.5) / points
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    x, y = x.reshape(-1), y.reshape(-1)

    def inside(boxes):  # (n, points * points)
        b = boxes.double()
        return (x >= b[:, 0:1]) & (x <= b[:, 2:3]) & (y >= b[:, 1:2]) & (y <= b[:, 3:4])

    a, b = inside(boxes1)[:, None, :], inside(boxes2)[None, :, :]
    inter, union = (a & b).sum(-1).double(), (a | b).sum(-1).double()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))


def matches_rasterised(t: Trial) -> None:
    boxes1, boxes2 = t.call.args
    out = as_matrix(t, len(boxes1), len(boxes2)).double()
    counted = rasterised_iou(boxes1, boxes2)
    worst = float((out - counted).abs().nan_to_num(nan=math.inf).max())
    if worst > 1e-2:
        i, j = divmod(int((out - counted).abs().nan_to_num(nan=math.inf).argmax()), len(boxes2))
        raise AssertionError(
            f"IoU of boxes1[{i}] and boxes2[{j}]: got {out[i, j].item():.6g}, but counting grid points gives {counted[i, j].item():.6g}"
        )


def symmetric(t: Trial) -> None:
    boxes1, boxes2 = t.call.args
    out = as_matrix(t, len(boxes1), len(boxes2))
    t.assert_close(t.run(Call((boxes2, boxes1))).T, out, "box_iou(boxes2, boxes1).T compared with box_iou(boxes1, boxes2)")


def one_on_the_diagonal(t: Trial) -> None:
    boxes1 = t.call.args[0]
    out = t.run(Call((boxes1, boxes1)))
    if type(out) is not torch.Tensor or out.shape != (len(boxes1), len(boxes1)):
        raise AssertionError("box_iou(boxes, boxes) must be (N, N)")
    t.assert_close(out.diagonal(), torch.ones(len(boxes1), dtype=out.dtype), "box_iou(boxes, boxes).diagonal() (a box with itself)")


def in_unit_interval(t: Trial) -> None:
    boxes1, boxes2 = t.call.args
    out = as_matrix(t, len(boxes1), len(boxes2))
    if torch.isnan(out).any() or (out < 0).any() or (out > 1).any():
        raise AssertionError(f"IoUs lie in [0, 1], got values from {out.min().item():.6g} to {out.max().item():.6g}")


def invariant_to_translation_and_scale(t: Trial) -> None:
    boxes1, boxes2 = t.call.args
    out = as_matrix(t, len(boxes1), len(boxes2))
    shift, scale = t.call.extra["shift"], t.call.extra["scale"]
    moved = t.run(Call(((boxes1 + shift) * scale, (boxes2 + shift) * scale)))
    t.assert_close(moved, out, f"box_iou of both sets moved by {shift} and scaled by {scale}, compared with the original")


def zero_for_disjoint(t: Trial) -> None:
    boxes1, boxes2 = t.call.args
    out = as_matrix(t, len(boxes1), len(boxes2))
    if (out != 0).any():
        raise AssertionError(f"boxes that do not overlap have IoU 0, got values up to {out.abs().max().item():.6g}")


def matches_iou(what="IoU"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference_box_iou), what)

    return verify


# ---------------------------------------------------------------- assign_anchor_to_bbox


def assignment_lists(X: list[list[float]], G: int, iou_threshold: float) -> list[int]:
    """d2l's two passes over the IoU matrix X (A rows of G), with plain loops."""
    A = len(X)
    assigned = [-1] * A
    if G == 0:
        return assigned
    for i in range(A):  # threshold pass: the first best box of each anchor, if good enough
        best = 0
        for j in range(1, G):
            if X[i][j] > X[i][best]:
                best = j
        if X[i][best] >= iou_threshold:
            assigned[i] = best
    rows, columns = set(), set()
    for _ in range(G):  # greedy pass: the largest entry left, the first in row-major order
        top = None
        for i in range(A):
            for j in range(G):
                if i not in rows and j not in columns and (top is None or X[i][j] > X[top[0]][top[1]]):
                    top = (i, j)
        if top is None:
            break
        assigned[top[0]] = top[1]
        rows.add(top[0])
        columns.add(top[1])
    return assigned


def reference_assign(ground_truth, anchors, iou_threshold=0.5):
    X = iou_lists(anchors, ground_truth)
    return torch.tensor(assignment_lists(X, len(ground_truth), iou_threshold), dtype=torch.int64)


def threshold_kwargs(draw, thresholds=(*THRESHOLDS, 1.0)) -> dict:
    """iou_threshold drawn, or left at its default 0.5."""
    return {"iou_threshold": draw(st.sampled_from(thresholds))} if draw(st.booleans()) else {}


@st.composite
def assign_inputs(draw, dtype, objects=(1, 4), grid=None, thresholds=(*THRESHOLDS, 1.0)):
    """assign_anchor_to_bbox(ground_truth (G, 4), anchors (A, 4)[, iou_threshold]), G <= A <= 8: grid
    boxes, where anchors often repeat each other or a ground truth exactly (tied IoUs)."""
    G = draw(st.integers(*objects))
    A = draw(st.integers(max(G, 1), max(G, 8)))
    boxes = draw(grid_boxes(G + A, dtype, grid))
    return Call((boxes[:G], boxes[G:]), threshold_kwargs(draw, thresholds))


def tied_inputs(dtype):
    return assign_inputs(dtype, objects=(2, 4), grid=4)


def no_objects(dtype):
    return assign_inputs(dtype, objects=(0, 0))


@st.composite
def at_the_threshold(draw, dtype):
    """Anchors twice as wide as a ground truth, containing it: IoU exactly 1/2, and iou_threshold 0.5."""
    G = draw(st.integers(1, 2))
    truth = draw(grid_boxes(G, dtype, 8, duplicates=False)) * torch.tensor([0.5, 1, 0.5, 1], dtype=dtype)
    doubled = truth.clone()
    doubled[:, 2] = truth[:, 2] + (truth[:, 2] - truth[:, 0])
    copies = draw(st.lists(st.integers(0, G - 1), min_size=G, max_size=G + 2)) + list(range(G))
    anchors = torch.cat((doubled[copies], draw(grid_boxes(draw(st.integers(0, 2)), dtype, 8))))
    anchors = anchors[torch.tensor(draw(st.permutations(range(len(anchors)))), dtype=torch.int64)]
    return Call((truth, anchors), {"iou_threshold": 0.5} if draw(st.booleans()) else {})


def assigned_list(t: Trial) -> list[int]:
    ground_truth, anchors = t.call.args
    out = index_list(t.output)
    if len(out) != len(anchors) or any(not -1 <= v < len(ground_truth) for v in out):
        raise AssertionError(f"expected (A,) = ({len(anchors)},) values in -1..G-1 = -1..{len(ground_truth) - 1}, got {out}")
    return out


def every_object_assigned(t: Trial) -> None:
    out = assigned_list(t)
    missing = [j for j in range(len(t.call.args[0])) if j not in out]
    if missing:
        raise AssertionError(f"ground truth {missing[0]} is assigned to no anchor (got {out})")


def above_threshold_not_background(t: Trial) -> None:
    ground_truth, anchors = t.call.args
    threshold = t.call.kwargs.get("iou_threshold", 0.5)
    out = assigned_list(t)
    for i, row in enumerate(iou_lists(anchors, ground_truth)):
        if max(row) >= threshold and out[i] == -1:
            raise AssertionError(f"anchor {i} has IoU {max(row):.6g} >= iou_threshold = {threshold} with a ground truth, but is background (-1)")


def all_background(t: Trial) -> None:
    out = assigned_list(t)
    if out != [-1] * len(out):
        raise AssertionError(f"with no ground truth every anchor is background (-1), got {out}")


def matches_assignment(t: Trial) -> None:
    out, expected = assigned_list(t), reference_assign(*t.call.args, **t.call.kwargs).tolist()
    if out != expected:
        raise AssertionError(f"expected {expected}, got {out}")


# ---------------------------------------------------------------- offset_boxes, offset_inverse


def offset_row(a, b, eps=1e-6) -> list[float]:
    xa, ya, wa, ha = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2, a[2] - a[0], a[3] - a[1]
    xb, yb, wb, hb = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]
    return [10 * (xb - xa) / wa, 10 * (yb - ya) / ha, 5 * math.log(eps + wb / wa), 5 * math.log(eps + hb / ha)]


def inverse_row(a, o) -> list[float]:
    xa, ya, wa, ha = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2, a[2] - a[0], a[3] - a[1]
    x, y, w, h = o[0] * wa / 10 + xa, o[1] * ha / 10 + ya, math.exp(o[2] / 5) * wa, math.exp(o[3] / 5) * ha
    return [x - w / 2, y - h / 2, x + w / 2, y + h / 2]


def reference_offsets(anchors, assigned_bb, eps=1e-6):
    """One anchor at a time, in center form."""
    rows = [offset_row(a, b, eps) for a, b in zip(anchors.double().tolist(), assigned_bb.double().tolist(), strict=True)]
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, 4).to(anchors.dtype)


def reference_inverse(anchors, offset_preds):
    rows = [inverse_row(a, o) for a, o in zip(anchors.double().tolist(), offset_preds.double().tolist(), strict=True)]
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, 4).to(anchors.dtype)


@st.composite
def offset_inputs(draw, dtype):
    """offset_boxes(anchors (A, 4), assigned_bb (A, 4)[, eps]): anchor sides >= 0.05, box sides >= 0.02."""
    A = draw(st.integers(1, 8))
    anchors, boxes = draw(float_boxes(A, dtype, min_side=0.05)), draw(float_boxes(A, dtype, min_side=0.02))
    return Call((anchors, boxes), {"eps": draw(st.sampled_from([0.0, 1e-6, 1e-4]))} if draw(st.booleans()) else {})


@st.composite
def inverse_inputs(draw, dtype):
    """offset_inverse(anchors (A, 4), offset_preds (A, 4)): offsets of the size a trained network predicts."""
    A = draw(st.integers(1, 8))
    anchors = draw(float_boxes(A, dtype, min_side=0.05))
    offsets = (-5 + 10 * torch.rand(A, 4, generator=generator(draw), dtype=torch.float64)).to(dtype)
    return Call((anchors, offsets))


@st.composite
def offsets_of_boxes(draw, dtype):
    """offset_inverse(anchors, offset_boxes(anchors, b)) with the offsets from the formula; b in `extra`."""
    A = draw(st.integers(1, 8))
    anchors, boxes = draw(float_boxes(A, dtype, min_side=0.05)), draw(float_boxes(A, dtype, min_side=0.02))
    return Call((anchors, reference_offsets(anchors.double(), boxes.double()).to(dtype)), extra={"round_trip": boxes})


@st.composite
def zero_offsets(draw, dtype):
    A = draw(st.integers(1, 8))
    return Call((draw(float_boxes(A, dtype, min_side=0.05)), torch.zeros(A, 4, dtype=dtype)))


def eps_slack(anchors: torch.Tensor, eps: float) -> float:
    """How far eps moves a box's corners in the round trip: (eps + w_b / w_a) * w_a = w_b + eps * w_a."""
    return eps * float((anchors[:, 2:] - anchors[:, :2]).abs().max()) if len(anchors) else 0.0


def inverse_gives_the_boxes(t: Trial) -> None:
    anchors, boxes = t.call.args
    out = t.output
    if type(out) is not torch.Tensor or out.shape != boxes.shape:
        raise AssertionError(f"expected an (A, 4) tensor, got {tuple(out.shape) if type(out) is torch.Tensor else type(out).__name__}")
    back = reference_inverse(anchors, out)
    slack = eps_slack(anchors, t.call.kwargs.get("eps", 1e-6))
    t.assert_close(back, boxes, "offset_inverse(anchors, your offsets), compared with assigned_bb", slack=slack)


def round_trip_gives_the_boxes(t: Trial) -> None:
    anchors = t.call.args[0]
    t.assert_close(t.output, t.call.extra["round_trip"], "offset_inverse(anchors, offset_boxes(anchors, b)), compared with b", slack=eps_slack(anchors, 1e-6))


def zero_offsets_give_the_anchors(t: Trial) -> None:
    t.assert_close(t.output, t.call.args[0], "offset_inverse(anchors, zeros), compared with the anchors")


def reference_multibox_target(anchors, labels):
    """One image at a time: its real rows (class >= 0), d2l's assignment, then the three targets."""
    A = len(anchors)
    anchor_rows = anchors.double().tolist()
    offsets, masks, classes = [], [], []
    for image in labels.double().tolist():
        rows = [r for r in image if r[0] >= 0]
        X = [[pair_iou(a, r[1:]) for r in rows] for a in anchor_rows]
        for a, j in zip(anchor_rows, assignment_lists(X, len(rows), 0.5), strict=True):
            offsets += [0.0] * 4 if j < 0 else offset_row(a, rows[j][1:])
            masks += [0.0 if j < 0 else 1.0] * 4
            classes.append(0 if j < 0 else int(rows[j][0]) + 1)
    B = len(labels)
    return (
        torch.tensor(offsets, dtype=torch.float64).reshape(B, A * 4).to(labels.dtype),
        torch.tensor(masks, dtype=torch.float64).reshape(B, A * 4).to(labels.dtype),
        torch.tensor(classes, dtype=torch.int64).reshape(B, A),
    )


@st.composite
def target_inputs(draw, dtype, padding_anywhere=False):
    """multibox_target(anchors (A, 4), labels (B, G, 5)): grid boxes, classes 0..2, each image with 0 to
    min(G, A) real rows; the other rows are padding (class -1; the rest -1, or a box that must be ignored)."""
    A = draw(st.integers(1, 8))
    B, G = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    boxes = draw(grid_boxes(A + B * G, dtype))
    anchors, truth = boxes[:A], boxes[A:].reshape(B, G, 4)
    classes = torch.randint(0, 3, (B, G), generator=generator(draw)).to(dtype)
    labels = torch.cat((classes[..., None], truth), dim=-1)
    for b in range(B):
        real = draw(st.integers(0 if b else 1, min(G, A)))
        rows = draw(st.permutations(range(G))) if padding_anywhere else list(range(G))
        for g in rows[real:]:
            labels[b, g, 0] = -1.0
            if draw(st.booleans()):
                labels[b, g, 1:] = -1.0
    return Call((anchors, labels))


def padding_anywhere(dtype):
    return target_inputs(dtype, padding_anywhere=True)


# The seed's example (004, 9.4.3): the dog (class 0) and the cat (class 1), and five anchors
CATDOG_ANCHORS = [[0.0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]]
CATDOG_LABELS = [[0.0, 0.1, 0.08, 0.52, 0.92], [1.0, 0.55, 0.2, 0.9, 0.88]]
CATDOG_CLASSES = [0, 1, 2, 0, 2]  # A4 gets the cat (greedy), A1 the dog (greedy), A2 the cat (threshold pass)


def catdog_example(dtype):
    return st.just(Call((torch.tensor(CATDOG_ANCHORS, dtype=dtype), torch.tensor([CATDOG_LABELS], dtype=dtype))))


def target_triple(t: Trial) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    anchors, labels = t.call.args
    B, A = len(labels), len(anchors)
    out = t.output
    if not isinstance(out, (tuple, list)) or len(out) != 3 or any(type(x) is not torch.Tensor for x in out):
        raise AssertionError("return a tuple of three tensors (bbox_offset, bbox_mask, class_labels)")
    offsets, mask, classes = out
    for name, x, shape, dtype in (("bbox_offset", offsets, (B, A * 4), labels.dtype), ("bbox_mask", mask, (B, A * 4), labels.dtype),
                                  ("class_labels", classes, (B, A), torch.int64)):
        if x.shape != shape or x.dtype != dtype:
            raise AssertionError(f"{name}: expected shape {shape} and dtype {dtype}, got {tuple(x.shape)} and {x.dtype}")
    return offsets, mask, classes


def catdog_targets(t: Trial) -> None:
    offsets, mask, classes = target_triple(t)
    if classes.tolist() != [CATDOG_CLASSES]:
        raise AssertionError(f"class_labels: expected {[CATDOG_CLASSES]} (0 = background, 1 = dog, 2 = cat), got {classes.tolist()}")
    expected_mask = [float(c > 0) for c in CATDOG_CLASSES for _ in range(4)]
    if mask.tolist() != [expected_mask]:
        raise AssertionError(f"bbox_mask: expected {[expected_mask]}, got {mask.tolist()}")
    t.assert_close(offsets, t.expected(reference_multibox_target)[0], "bbox_offset")


def mask_follows_classes(t: Trial) -> None:
    offsets, mask, classes = target_triple(t)
    positive = (classes > 0).repeat_interleave(4, dim=1)
    if (mask != positive.to(mask.dtype)).any():
        raise AssertionError("bbox_mask must be 1.0 on the 4 offsets of each anchor with class_labels > 0 and 0.0 elsewhere")
    if (offsets[~positive] != 0).any():
        raise AssertionError("the offsets of background anchors (class_labels 0) must be 0")


def matches_targets(what):
    def verify(t: Trial) -> None:
        target_triple(t)
        t.assert_close(t.output, t.expected(reference_multibox_target), what)

    return verify


# ---------------------------------------------------------------- nms

SCORES = (0.0, 0.25, 0.5, 0.75, 1.0)  # few values: equal scores are common


def reference_nms(boxes, scores, iou_threshold):
    """Visit the boxes in stable descending score order; keep one unless a kept box overlaps it by more than the threshold."""
    X = iou_lists(boxes, boxes)
    kept = []
    for i in stable_order(scores):
        if all(X[i][k] <= iou_threshold for k in kept):
            kept.append(i)
    return torch.tensor(kept, dtype=torch.int64)


@st.composite
def score_values(draw, n, dtype, distinct=False):
    if distinct:
        return torch.tensor(draw(st.permutations(range(n))), dtype=torch.float64).to(dtype) / n
    g = generator(draw)
    if draw(st.booleans()):
        return random_choices(g, SCORES, (n,), dtype)
    return torch.rand(n, generator=g, dtype=torch.float64).to(dtype)


@st.composite
def nms_inputs(draw, dtype, sizes=(2, 8), thresholds=THRESHOLDS, distinct=False):
    """nms(boxes (N, 4), scores (N,), iou_threshold): grid boxes (some repeated), scores often tied."""
    N = draw(st.integers(*sizes))
    boxes = draw(grid_boxes(N, dtype))
    return Call((boxes, draw(score_values(N, dtype, distinct)), draw(st.sampled_from(thresholds))))


def keep_all_threshold(dtype):
    return nms_inputs(dtype, thresholds=(1.0,))


def negative_threshold(dtype):
    return nms_inputs(dtype, thresholds=(-0.5, -1e-3))


@st.composite
def permuted_nms_inputs(draw, dtype):
    call = draw(nms_inputs(dtype, distinct=True))
    return Call(call.args, extra={"permutation": draw(st.permutations(range(len(call.args[0]))))})


@st.composite
def duplicated_boxes(draw, dtype):
    """Boxes repeated exactly, each copy with its original's score, in a shuffled order."""
    n = draw(st.integers(1, 5))
    base = draw(grid_boxes(n, dtype, 8, duplicates=False))
    scores = draw(score_values(n, dtype))
    copies = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    boxes, scores = torch.cat((base, base[copies])), torch.cat((scores, scores[copies]))
    order = torch.tensor(draw(st.permutations(range(len(boxes)))), dtype=torch.int64)
    return Call((boxes[order], scores[order], draw(st.sampled_from(THRESHOLDS))))


@st.composite
def nms_at_the_threshold(draw, dtype):
    """Boxes and their copies twice as wide (IoU exactly 1/2), iou_threshold 0.5."""
    n = draw(st.integers(1, 3))
    base = draw(grid_boxes(n, dtype, 8, duplicates=False)) * torch.tensor([0.5, 1, 0.5, 1], dtype=dtype)
    doubled = base.clone()
    doubled[:, 2] = base[:, 2] + (base[:, 2] - base[:, 0])
    boxes = torch.cat((base, doubled, draw(grid_boxes(draw(st.integers(0, 2)), dtype, 8))))
    order = torch.tensor(draw(st.permutations(range(len(boxes)))), dtype=torch.int64)
    return Call((boxes[order], draw(score_values(len(boxes), dtype)), 0.5))


def nms_result(t: Trial, call: Call | None = None) -> list[int]:
    boxes = (call or t.call).args[0]
    out = index_list(t.output if call is None else t.run(call))
    if any(not 0 <= i < len(boxes) for i in out) or len(set(out)) != len(out):
        raise AssertionError(f"expected distinct indices in 0..{len(boxes) - 1}, got {out}")
    return out


def is_greedy_nms(t: Trial) -> None:
    boxes, scores, threshold = t.call.args
    out = nms_result(t)
    order = stable_order(scores)
    position = {i: p for p, i in enumerate(order)}
    if [position[i] for i in out] != sorted(position[i] for i in out):
        raise AssertionError(f"kept indices must come by descending score, equal scores by index: {out} are not in the order {order}")
    X = iou_lists(boxes, boxes)
    for p, i in enumerate(out):
        for j in out[:p]:
            if X[i][j] > threshold:
                raise AssertionError(f"boxes {j} and {i} are both kept, but their IoU {X[i][j]:.6g} > iou_threshold = {threshold}")
    kept = set(out)
    for i in order:
        if i not in kept and not any(X[i][k] > threshold for k in kept if position[k] < position[i]):
            raise AssertionError(f"box {i} was removed, but no box kept before it overlaps it by more than {threshold} (kept: {out})")


def keeps_everything(t: Trial) -> None:
    boxes, scores, _ = t.call.args
    out, expected = nms_result(t), stable_order(scores)
    if out != expected:
        raise AssertionError(f"with iou_threshold = 1.0 no IoU is greater: expected every box by descending score, {expected}, got {out}")


def keeps_only_the_top(t: Trial) -> None:
    out, expected = nms_result(t), stable_order(t.call.args[1])[:1]
    if out != expected:
        raise AssertionError(f"with a negative iou_threshold every box overlaps the first by more: expected {expected}, got {out}")


def permutation_equivariant(t: Trial) -> None:
    boxes, scores, threshold = t.call.args
    out = nms_result(t)
    p = t.call.extra["permutation"]
    permuted = nms_result(t, Call((boxes[p], scores[p], threshold)))
    if [p[j] for j in permuted] != out:
        raise AssertionError(f"nms(boxes[p], scores[p]) kept {permuted} (with p = {p}), which are {[p[j] for j in permuted]} of the original boxes, not {out}")


def matches_nms(t: Trial) -> None:
    out, expected = nms_result(t), reference_nms(*t.call.args).tolist()
    if out != expected:
        raise AssertionError(f"expected {expected}, got {out}")


# ---------------------------------------------------------------- multibox_detection

PROBABILITIES = (0.0, 0.005, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9)  # 0 and 0.005 lie below pos_threshold's default
OFFSETS = (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)
NMS_THRESHOLDS = (0.2, 0.3, 0.35, 0.45, 0.5, 0.55, 0.6, 0.7)
# nms_threshold is drawn at least this far from every IoU of the predicted boxes: they are computed with exp,
# whose last bit differs between formulations and devices, and NMS compares them with the threshold
THRESHOLD_GAP = 1e-3


def reference_multibox_detection(cls_probs, offset_preds, anchors, nms_threshold=0.5, pos_threshold=0.009999999):
    """One image at a time: best class, predicted boxes, class-agnostic NMS (reference_nms), then the rows."""
    B, A = cls_probs.shape[0], cls_probs.shape[2]
    out = []
    for probs, offsets in zip(cls_probs.double().tolist(), offset_preds.double().reshape(B, A, 4), strict=True):
        boxes = reference_inverse(anchors.double(), offsets)
        conf, class_id = [], []
        for a in range(A):
            column = [row[a] for row in probs[1:]]
            conf.append(max(column))
            class_id.append(column.index(max(column)))  # the first maximum: the lower class
        kept = reference_nms(boxes, torch.tensor(conf, dtype=torch.float64), nms_threshold).tolist()
        rows = []
        for a in kept + [a for a in range(A) if a not in kept]:
            c, p = (class_id[a] if a in kept else -1), conf[a]
            if p < pos_threshold:
                c, p = -1, 1 - p
            rows.append([float(c), p, *boxes[a].tolist()])
        out.append(rows)
    return torch.tensor(out, dtype=torch.float64).reshape(B, A, 6).to(cls_probs.dtype)


def predicted_ious(offset_preds, anchors) -> list[float]:
    B, A = offset_preds.shape[0], anchors.shape[0]
    found = []
    for offsets in offset_preds.double().reshape(B, A, 4):
        X = iou_lists(*(2 * (reference_inverse(anchors.double(), offsets),)))
        found += [X[i][j] for i in range(A) for j in range(i)]
    return found


def robust_threshold(draw, offset_preds, anchors) -> dict:
    """nms_threshold away from every IoU of the predicted boxes (the default 0.5 where it is), or nothing drawable."""
    ious = predicted_ious(offset_preds, anchors)
    usable = [t for t in NMS_THRESHOLDS if all(abs(v - t) > THRESHOLD_GAP for v in ious)]
    assume(usable)
    threshold = draw(st.sampled_from(usable))
    return {} if threshold == 0.5 and draw(st.booleans()) else {"nms_threshold": threshold}


@st.composite
def detection_inputs(draw, dtype, probabilities=PROBABILITIES):
    """multibox_detection(cls_probs (B, C + 1, A), offset_preds (B, A * 4), anchors (A, 4)[, thresholds]):
    grid anchors (some repeated), offsets 0 (the boxes are the anchors) or a few steps of 1/4, and
    probabilities from a few values (equal confidences and equal classes are common)."""
    B, C, A = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    anchors = draw(grid_boxes(A, dtype, draw(st.sampled_from((4, 8)))))
    if draw(st.booleans()):
        offsets = torch.zeros(B, A * 4, dtype=dtype)
    else:
        offsets = random_choices(generator(draw), OFFSETS, (B, A * 4), dtype)
    cls_probs = random_choices(generator(draw), probabilities, (B, C + 1, A), dtype)
    kwargs = robust_threshold(draw, offsets, anchors)
    if draw(st.booleans()):
        kwargs["pos_threshold"] = draw(st.sampled_from([0.15, 0.4]))
    return Call((cls_probs, offsets, anchors), kwargs)


def low_confidences(dtype):
    return detection_inputs(dtype, probabilities=(0.0, 0.005, 0.0, 0.005, 0.2, 0.6))


@st.composite
def overlapping_classes(draw, dtype):
    """Pairs of equal anchors whose best classes differ: class-agnostic NMS keeps one of each pair."""
    pairs, C = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    anchors = draw(grid_boxes(pairs, dtype, 8, duplicates=False)).repeat_interleave(2, dim=0)
    A = len(anchors)
    cls_probs = torch.zeros(1, C + 1, A, dtype=dtype)
    for p in range(pairs):
        first, second = draw(st.permutations(range(C)))[:2]
        cls_probs[0, 1 + first, 2 * p] = draw(st.sampled_from([0.5, 0.6, 0.8, 0.9]))
        cls_probs[0, 1 + second, 2 * p + 1] = draw(st.sampled_from([0.5, 0.6, 0.8, 0.9]))
    offsets = torch.zeros(1, A * 4, dtype=dtype)
    return Call((cls_probs, offsets, anchors), robust_threshold(draw, offsets, anchors))


# The seed's example (004, 9.4.4): four anchors, offsets 0, dog and cat probabilities; NMS at 0.5
SEED_ANCHORS = [[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95], [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]]
SEED_PROBABILITIES = [[0.0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]]  # background, dog, cat
SEED_DETECTIONS = [
    [0.0, 0.9, 0.1, 0.08, 0.52, 0.92],  # the dog, kept
    [1.0, 0.9, 0.55, 0.2, 0.9, 0.88],  # the cat, kept (after the dog: equal scores, higher index)
    [-1.0, 0.8, 0.08, 0.2, 0.56, 0.95],  # IoU 0.74 with the dog: removed
    [-1.0, 0.7, 0.15, 0.3, 0.62, 0.91],  # IoU 0.55 with the dog: removed
]


def seed_detection(dtype):
    return st.just(
        Call((torch.tensor([SEED_PROBABILITIES], dtype=dtype), torch.zeros(1, 16, dtype=dtype), torch.tensor(SEED_ANCHORS, dtype=dtype)), {"nms_threshold": 0.5})
    )


def detection_rows(t: Trial) -> torch.Tensor:
    cls_probs, _, anchors = t.call.args
    out = t.output
    B, A = cls_probs.shape[0], anchors.shape[0]
    if type(out) is not torch.Tensor or out.shape != (B, A, 6) or out.dtype != cls_probs.dtype:
        got = f"{tuple(out.shape)} {out.dtype}" if type(out) is torch.Tensor else type(out).__name__
        raise AssertionError(f"expected a (B, A, 6) = {(B, A, 6)} tensor of dtype {cls_probs.dtype}, got {got}")
    return out


def seed_example(t: Trial) -> None:
    out = detection_rows(t)
    t.assert_close(out, torch.tensor([SEED_DETECTIONS], dtype=torch.float64).to(out.dtype), "the rows (class_id, conf, x1, y1, x2, y2)")


def rows_well_formed(t: Trial) -> None:
    cls_probs, offset_preds, anchors = t.call.args
    out = detection_rows(t)
    C = cls_probs.shape[1] - 1
    boxes = [reference_inverse(anchors.double(), offsets) for offsets in offset_preds.double().reshape(len(out), -1, 4)]
    for b, rows in enumerate(out.double()):
        classes = rows[:, 0].tolist()
        if any(c not in range(-1, C) for c in classes):
            raise AssertionError(f"image {b}: class ids are -1 or 0..C-1 = 0..{C - 1}, got {classes}")
        unused = list(range(len(rows)))
        for r, row in enumerate(rows[:, 2:]):  # each row takes an anchor not taken yet whose predicted box it holds
            match = next((a for a in unused if float((boxes[b][a] - row).abs().max()) < 1e-4), None)
            if match is None:
                raise AssertionError(f"image {b}: row {r} holds no predicted box left unused: each anchor's box appears in exactly one row")
            unused.remove(match)
        if -1 in classes and any(c >= 0 for c in classes[classes.index(-1) :]):
            first = classes.index(-1)
            later = next(i for i in range(first, len(classes)) if classes[i] >= 0)
            raise AssertionError(f"image {b}: row {later} has a class but comes after row {first} of class -1: kept rows come first")


def matches_detection(what):
    def verify(t: Trial) -> None:
        detection_rows(t)
        t.assert_close(t.output, t.expected(reference_multibox_detection), what)

    return verify


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Large batches of boxes: vectorised code runs a handful of whole-tensor operations, a Python loop over the
# boxes (the anchors, the pixels, the images) runs them once per element, 50x and more slower. The loops
# the spec allows are not timed against: assignment's G greedy steps and NMS's one step per kept box.


@seeded
def large_boxes(g, dtype):
    """A conversion of 4096 boxes."""
    return Call((random_float_boxes(g, 4096, dtype),))


@seeded
def large_prior(g, dtype):
    """multibox_prior(128, 128, 2 sizes, 2 ratios): 49152 anchors of 16384 pixels."""
    return Call((128, 128, [0.75, 0.5], [1.0, 2.0]))


@seeded
def large_iou(g, dtype):
    """box_iou of 2048 boxes with 16."""
    return Call((random_float_boxes(g, 2048, dtype), random_float_boxes(g, 16, dtype)))


@seeded
def large_assignment(g, dtype):
    """8192 anchors and 2 ground truths on a 1/16 grid."""
    return Call((random_grid_boxes(g, 2, 16, dtype), random_grid_boxes(g, 8192, 16, dtype)))


@seeded
def large_offsets(g, dtype):
    return Call((random_float_boxes(g, 4096, dtype, 0.05), random_float_boxes(g, 4096, dtype, 0.02)))


@seeded
def large_inverse(g, dtype):
    return Call((random_float_boxes(g, 4096, dtype, 0.05), (torch.randn(4096, 4, generator=g, dtype=torch.float64) * 0.5).to(dtype)))


@seeded
def large_targets(g, dtype):
    """multibox_target of 256 images with 4 label rows (the last one or two padding) and 32 anchors, on a 1/16 grid."""
    B, G, A = 256, 4, 32
    classes = torch.randint(0, 3, (B, G), generator=g).double()
    classes[:, 3] = -1
    classes[: B // 2, 2] = -1
    labels = torch.cat((classes[..., None], random_grid_boxes(g, B * G, 16, torch.float64).reshape(B, G, 4)), dim=-1)
    return Call((random_grid_boxes(g, A, 16, dtype), labels.to(dtype)))


@seeded
def large_nms(g, dtype):
    """1024 boxes in 24 clusters of near copies (a 1/256 grid), iou_threshold 0.5: about 30 are kept."""
    centres = torch.randint(48, 208, (24, 2), generator=g)[torch.randint(0, 24, (1024,), generator=g)]
    half = torch.randint(32, 48, (1024, 2), generator=g)
    jitter = torch.randint(-3, 4, (1024, 2), generator=g)
    boxes = torch.cat((centres + jitter - half, centres + jitter + half), dim=1).double() / 256
    return Call((boxes.to(dtype), torch.rand(1024, generator=g, dtype=torch.float64).to(dtype), 0.5))


# ---------------------------------------------------------------- the assignment

NMS_HINT = "a Python loop over every box? Loop over the kept boxes only: each step keeps the best box left and drops, at once, every box it overlaps"

ASSIGNMENT = Assignment(
    id="15",
    module="detection",
    title="object detection basics",
    functions=(
        Function(
            "box_corner_to_center",
            box_arrays,
            points=0.5,
            reference=corner_to_center_formula,
            reference_name="(cx, cy, w, h) = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)",
            efficiency=Efficiency(large_boxes, factor=20, why="unbind and stack: 1x; a loop over the 4096 boxes 900x", public=False),
            checks=(
                Check(
                    "undoes box_center_to_corner",
                    gives_back_the_boxes("box_corner_to_center(box_center_to_corner(b)), compared with b"),
                    inputs=center_boxes_as_corners,
                    hint="the centre is the mean of the two corners, (x1 + x2) / 2; the width is x2 - x1 (not half of it)",
                ),
            ),
        ),
        Function(
            "box_center_to_corner",
            box_arrays,
            points=0.5,
            reference=center_to_corner_formula,
            reference_name="(x1, y1, x2, y2) = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)",
            efficiency=Efficiency(large_boxes, factor=20, why="unbind and stack: 1x; a loop over the 4096 boxes 900x", public=False),
            checks=(
                Check(
                    "undoes box_corner_to_center",
                    gives_back_the_boxes("box_center_to_corner(box_corner_to_center(b)), compared with b"),
                    inputs=corner_boxes_as_centers,
                    hint="each corner is half a width (w / 2) from the centre, not a whole one; the order is (x1, y1, x2, y2)",
                ),
            ),
        ),
        Function(
            "multibox_prior",
            prior_inputs,
            points=1,
            reference=reference_multibox_prior,
            reference_name="the anchors built one pixel and one shape at a time",
            efficiency=Efficiency(large_prior, factor=20, why="meshgrid and one broadcast sum: 1x; a loop over the 16384 pixels 170x", public=False),
            checks=(
                Check(
                    "the shapes come (s_1, r_1), ..., (s_n, r_1), then (s_1, r_2), ..., (s_1, r_m)",
                    matches_prior,
                    inputs=several_shapes,
                    hint="first every size with the first ratio, then the first size with the other ratios (not s_1 with every ratio first)",
                ),
                Check(
                    "on non-square images the pixel aspect ratio is r",
                    matches_prior,
                    inputs=non_square_images,
                    hint="normalised width s * sqrt(r) * height / width: a width in pixels of s * sqrt(r) * height, over the image width",
                ),
                Check(
                    "each pixel's first anchor has pixel area (s_1 * height)^2",
                    first_anchor_area,
                    hint="in pixels the (s, r) anchor is s * sqrt(r) * height wide and s * height / sqrt(r) tall",
                ),
                Check("returns height * width * (n + m - 1) anchors", anchor_count, hint="one row per anchor: reshape to (-1, 4)", **STRUCTURAL, gated=True),
                Check(
                    "a pixel's anchors share its centre",
                    centres_shared_per_pixel,
                    hint="row-major pixels (y, then x), each pixel's n + m - 1 anchors consecutive: the centre ((x + 0.5) / width, (y + 0.5) / height)",
                    **STRUCTURAL,
                    gated=True,
                ),
                Check(
                    "the pixel aspect ratios are r_1 (n times), then r_2..r_m",
                    pixel_aspect_ratios,
                    hint="width / height in pixels is r: normalised width s * sqrt(r) * height / width, height s / sqrt(r)",
                    **STRUCTURAL,
                    gated=True,
                ),
            ),
            dtypes=(torch.float32,),  # a torch.dtype cannot be passed to the call: the default dtype only
            meta=False,  # no tensor inputs: the anchors are made on the default device
        ),
        Function(
            "box_iou",
            iou_inputs,
            points=1.5,
            reference=reference_box_iou,
            reference_name="each pair's IoU, one pair at a time",
            efficiency=Efficiency(large_iou, factor=20, why="broadcast (N, 1) against (1, M): 1x; a loop over the 2048 boxes 450x", public=False),
            checks=(
                Check(
                    "equals the IoU counted on a grid of points",
                    matches_rasterised,
                    inputs=grid_pairs,
                    hint="intersection: from max(x1), max(y1) to min(x2), min(y2), each side clamped at 0; union = area1 + area2 - intersection",
                ),
                Check(
                    "a pair of zero-area boxes has IoU 0, never NaN",
                    matches_iou(),
                    inputs=zero_area_pairs,
                    hint="the union of two zero-area boxes is 0: return 0 there (divide by torch.where(union > 0, union, 1))",
                    gated=True,
                ),
                Check("is symmetric: box_iou(b, a) = box_iou(a, b).T", symmetric, **STRUCTURAL, gated=True),
                Check("a box with itself has IoU 1", one_on_the_diagonal, inputs=grid_pairs, hint="union = area1 + area2 - intersection", **STRUCTURAL, gated=True),
                Check("lies in [0, 1]", in_unit_interval, hint="clamp the intersection's sides at 0 and subtract the intersection from the union", **STRUCTURAL, gated=True),
                Check("is unchanged when both sets are moved and scaled together", invariant_to_translation_and_scale, inputs=transformed_pairs, **STRUCTURAL, gated=True),
                Check(
                    "is 0 for boxes that do not overlap",
                    zero_for_disjoint,
                    inputs=disjoint_pairs,
                    hint="clamp each side of the intersection at 0 before multiplying: two negative sides make a positive area",
                    **STRUCTURAL,
                    gated=True,
                ),
            ),
        ),
        Function(
            "assign_anchor_to_bbox",
            assign_inputs,
            points=1.5,
            reference=reference_assign,
            reference_name="d2l's two passes, written as plain loops",
            efficiency=Efficiency(large_assignment, factor=20, why="argmax and where, then the 2 greedy steps: 1x; a loop over the 8192 anchors 85x", public=False),
            checks=(
                Check(
                    "ties go to the lower box, then the lower anchor (repeated boxes)",
                    matches_assignment,
                    inputs=tied_inputs,
                    hint="torch.argmax returns the first maximum; of the flattened (A, G) matrix, anchor = index // G and box = index % G",
                ),
                Check(
                    "an IoU equal to iou_threshold is assigned (>=)",
                    matches_assignment,
                    inputs=at_the_threshold,
                    hint="the threshold pass assigns anchors whose best IoU is >= iou_threshold",
                ),
                Check(
                    "every ground truth gets an anchor",
                    every_object_assigned,
                    hint="the greedy pass runs G times and discards the row and the column it took (set them to -1, not 0)",
                    **STRUCTURAL,
                    gated=True,
                ),
                Check(
                    "an anchor with IoU >= iou_threshold is never background",
                    above_threshold_not_background,
                    hint="first the threshold pass over every anchor, then the greedy pass, which overrides it",
                    **STRUCTURAL,
                    gated=True,
                ),
                Check("with no ground truth every anchor is background", all_background, inputs=no_objects, **STRUCTURAL, gated=True),
            ),
            meta=False,  # the greedy steps index with the argmax's value
        ),
        Function(
            "offset_boxes",
            offset_inputs,
            points=0.5,
            reference=reference_offsets,
            reference_name="the offsets formula, one anchor at a time",
            tolerance=OFFSET_TOLERANCE,
            efficiency=Efficiency(large_offsets, factor=20, why="center form, then one formula: 1x; a loop over the 4096 anchors 450x", public=False),
            checks=(
                Check(
                    "offset_inverse of the offsets gives the boxes back (within eps)",
                    inverse_gives_the_boxes,
                    hint="both boxes in center form: (10 (x_b - x_a) / w_a, 10 (y_b - y_a) / h_a, 5 log(eps + w_b / w_a), 5 log(eps + h_b / h_a))",
                ),
            ),
        ),
        Function(
            "offset_inverse",
            inverse_inputs,
            points=0.5,
            reference=reference_inverse,
            reference_name="the inverse formula, one anchor at a time",
            tolerance=INVERSE_TOLERANCE,
            efficiency=Efficiency(large_inverse, factor=20, why="center form, then one formula: 1x; a loop over the 4096 anchors 450x", public=False),
            checks=(
                Check(
                    "undoes offset_boxes (within eps)",
                    round_trip_gives_the_boxes,
                    inputs=offsets_of_boxes,
                    hint="xy = offset[:, :2] * wh_a / 10 + xy_a and wh = exp(offset[:, 2:] / 5) * wh_a, then back to corner form",
                ),
                Check("zero offsets give the anchors back", zero_offsets_give_the_anchors, inputs=zero_offsets, **STRUCTURAL, gated=True),
            ),
        ),
        Function(
            "multibox_target",
            target_inputs,
            points=1.5,
            reference=reference_multibox_target,
            reference_name="one image at a time: its real rows, assign_anchor_to_bbox, the targets",
            tolerance=OFFSET_TOLERANCE,
            efficiency=Efficiency(
                large_targets, factor=20, why="the G greedy steps for every image at once: 1x; a loop over the 256 images 100x", public=False,
                hint="a Python loop over the images? Run the G greedy steps for all images at once: argmax over each image's flattened (A, G) matrix",
            ),
            checks=(
                Check(
                    "the seed's cat and dog: class labels [0, 1, 2, 0, 2]",
                    catdog_targets,
                    inputs=catdog_example,
                    hint="class_labels = class + 1 for assigned anchors (0 is background); A4 and A1 come from the greedy pass, A2 from the threshold pass",
                ),
                Check(
                    "padding rows (class < 0) are ignored, wherever they are",
                    matches_targets("(bbox_offset, bbox_mask, class_labels)"),
                    inputs=padding_anywhere,
                    hint="give padding rows an IoU of -1 with every anchor before both passes: they must never be assigned",
                ),
                Check(
                    "bbox_mask is 1 on the offsets of assigned anchors; background offsets are 0",
                    mask_follows_classes,
                    hint="multiply the offsets by the mask (or use torch.where): background anchors have no box to move to",
                    **STRUCTURAL,
                    gated=True,
                ),
            ),
            meta=False,
        ),
        Function(
            "nms",
            nms_inputs,
            points=1.5,
            reference=reference_nms,
            reference_name="greedy NMS written as a plain loop",
            efficiency=Efficiency(large_nms, factor=20, why="one vectorised step per kept box (about 30): 1x; all pairs' IoUs at once 5x; a loop over the 1024 boxes 45x", public=False, hint=NMS_HINT),
            checks=(
                Check(
                    "keeps exactly the boxes greedy NMS keeps, by descending score",
                    is_greedy_nms,
                    hint="sort with torch.sort(scores, descending=True, stable=True); return the kept indices in that order, not sorted by index",
                ),
                Check(
                    "a repeated box with an equal score: the lower index is kept",
                    matches_nms,
                    inputs=duplicated_boxes,
                    hint="a stable sort keeps equal scores in index order; argsort(descending=True) without stable=True may not",
                ),
                Check(
                    "an IoU equal to iou_threshold does not remove a box",
                    matches_nms,
                    inputs=nms_at_the_threshold,
                    hint="remove a box when its IoU with a kept box is > iou_threshold: keep those with IoU <= iou_threshold",
                ),
                Check(
                    "iou_threshold 1.0 keeps every box, repeated ones too",
                    keeps_everything,
                    inputs=keep_all_threshold,
                    hint="an IoU of 1.0 is not > 1.0; the best box must not remove itself either",
                    **STRUCTURAL,
                    gated=True,
                ),
                Check("a negative iou_threshold keeps only the best box", keeps_only_the_top, inputs=negative_threshold, **STRUCTURAL, gated=True),
                Check("permuting the boxes permutes the result (distinct scores)", permutation_equivariant, inputs=permuted_nms_inputs, **STRUCTURAL, gated=True),
            ),
            meta=False,  # how many boxes are kept depends on the values
        ),
        Function(
            "multibox_detection",
            detection_inputs,
            points=1,
            reference=reference_multibox_detection,
            reference_name="one image at a time: max over the classes, offset_inverse, nms, then the rows",
            checks=(
                Check(
                    "the seed's example: the dog and the cat are kept",
                    seed_example,
                    inputs=seed_detection,
                    hint="conf and class_id are the max and argmax over rows 1..C (not over the background row 0)",
                ),
                Check(
                    "NMS ignores the classes: a box removes an overlapping box of another class",
                    matches_detection("the rows"),
                    inputs=overlapping_classes,
                    hint="call nms once per image on all boxes (d2l v2), not once per class",
                ),
                Check(
                    "a row with conf < pos_threshold gets class -1 and conf 1 - conf",
                    matches_detection("the rows"),
                    inputs=low_confidences,
                    hint="after NMS and the reordering: class_id = -1 and conf = 1 - conf where conf < pos_threshold",
                ),
                Check(
                    "every anchor's box appears once, kept rows first, classes in -1..C-1",
                    rows_well_formed,
                    hint="the rows: the kept anchors in NMS order, then the others by ascending index, with class -1",
                    **STRUCTURAL,
                    gated=True,
                ),
            ),
            meta=False,
        ),
    ),
    # torchvision.ops (box_iou, nms, batched_nms, box_convert, ...), torchvision.models.detection's anchor generator and
    # box coder, and torchvision.transforms.v2's box conversions: none is needed here
    forbidden=("torchvision",),
)

test_public = public_tests(ASSIGNMENT)
