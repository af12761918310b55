"""Assignment 15: object detection basics.

Anchor boxes, intersection over union, labelling anchors for training and non-maximum
suppression, as in Dive into Deep Learning (PyTorch edition, "Anchor Boxes").

Boxes are float tensors (..., 4) in corner form (x1, y1, x2, y2), with x divided by the image
width and y by the image height (so a box inside the image lies in [0, 1]), unless a docstring
says center form (cx, cy, w, h). Ties are broken by the lower index everywhere: sort with
torch.sort(..., descending=True, stable=True); torch.argmax returns the first maximum.

Do not use torchvision (torchvision.ops.box_iou, nms, batched_nms, box_convert, the anchor
and box-coder helpers of torchvision.models.detection): write them from tensor operations.
"""

import torch


def box_corner_to_center(boxes: torch.Tensor) -> torch.Tensor:
    """(x1, y1, x2, y2) -> (cx, cy, w, h) along the last axis: (..., 4) -> (..., 4).

    cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, w = x2 - x1, h = y2 - y1.
    """
    ### BEGIN SOLUTION
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)
    ### END SOLUTION


def box_center_to_corner(boxes: torch.Tensor) -> torch.Tensor:
    """(cx, cy, w, h) -> (x1, y1, x2, y2) along the last axis: (..., 4) -> (..., 4).

    x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2.
    """
    ### BEGIN SOLUTION
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)
    ### END SOLUTION


def multibox_prior(
    height: int,
    width: int,
    sizes: list[float],
    ratios: list[float],
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Anchor boxes centred on every pixel of a height x width image: (height * width * k, 4).

    sizes s_1..s_n in (0, 1] and ratios r_1..r_m > 0 (Python lists); k = n + m - 1 shapes per
    pixel, in this order:
        (s_1, r_1), (s_2, r_1), ..., (s_n, r_1), (s_1, r_2), (s_1, r_3), ..., (s_1, r_m)
    The pixel in row y, column x is the centre ((x + 0.5) / width, (y + 0.5) / height); pixels
    go row by row (y, then x), and each pixel's k anchors are consecutive rows of the output.
    A shape (s, r) is an anchor of normalised width s * sqrt(r) * height / width and height
    s / sqrt(r): in pixels, s * sqrt(r) * height wide and s * height / sqrt(r) tall, so its
    pixel aspect ratio (width / height) is r and its pixel area (s * height)^2.
    Returns corner form, in `dtype`, on `device` (None: the default device). Anchors near the
    border may reach outside [0, 1]: do not clip them.
    """
    ### BEGIN SOLUTION
    size = torch.tensor(sizes, dtype=dtype, device=device)
    ratio = torch.tensor(ratios, dtype=dtype, device=device)
    s = torch.cat((size, size[:1].expand(len(ratios) - 1)))  # (k,): s_1..s_n, then s_1 again
    r = torch.cat((ratio[:1].expand(len(sizes)), ratio[1:]))  # (k,): r_1 n times, then r_2..r_m
    w = s * r.sqrt() * height / width  # normalised by the width: the pixel aspect ratio is r
    h = s / r.sqrt()
    half = torch.stack((-w, -h, w, h), dim=-1) / 2  # (k, 4)
    ys = (torch.arange(height, dtype=dtype, device=device) + 0.5) / height
    xs = (torch.arange(width, dtype=dtype, device=device) + 0.5) / width
    cy, cx = torch.meshgrid(ys, xs, indexing="ij")  # (height, width): row y, column x
    centres = torch.stack((cx, cy, cx, cy), dim=-1).reshape(-1, 1, 4)  # (height * width, 1, 4)
    return (centres + half).reshape(-1, 4)
    ### END SOLUTION


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every pair: boxes1 (N, 4), boxes2 (M, 4) -> (N, M).

    IoU = area(A ∩ B) / area(A ∪ B), with area(A ∪ B) = area(A) + area(B) - area(A ∩ B).
    The intersection is the box from the larger top-left corner to the smaller bottom-right
    one; its sides are clamped at 0 (disjoint boxes intersect in nothing, not in a negative
    area). A pair of zero-area boxes has union 0: its IoU is 0 (0 / 0 := 0), never NaN.
    (Written with `...` indexing, the same code takes batches: (..., N, 4) and (..., M, 4)
    -> (..., N, M), which multibox_target and multibox_detection can use.)
    """
    ### BEGIN SOLUTION
    area1 = (boxes1[..., 2] - boxes1[..., 0]) * (boxes1[..., 3] - boxes1[..., 1])  # (..., N)
    area2 = (boxes2[..., 2] - boxes2[..., 0]) * (boxes2[..., 3] - boxes2[..., 1])  # (..., M)
    top_left = torch.maximum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])  # (..., N, M, 2)
    bottom_right = torch.minimum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]  # (..., N, M)
    union = area1[..., :, None] + area2[..., None, :] - inter
    return inter / torch.where(union > 0, union, torch.ones_like(union))  # union 0 means inter 0: 0 / 1
    ### END SOLUTION


def assign_anchor_to_bbox(ground_truth: torch.Tensor, anchors: torch.Tensor, iou_threshold: float = 0.5) -> torch.Tensor:
    """The ground-truth box each anchor is assigned to: (A,) int64, -1 for background.

    ground_truth (G, 4), anchors (A, 4), G <= A. With X = box_iou(anchors, ground_truth) (A, G):
      1. threshold pass: every anchor i whose best IoU max_j X[i, j] is >= iou_threshold gets
         its best box argmax_j X[i, j] (ties: the lower box index);
      2. greedy pass, G times: take the largest entry X[i, j] left in the matrix (ties: the
         lowest row-major flat index, i.e. the lower anchor, then the lower box), assign box j
         to anchor i (overriding step 1), and discard row i and column j.
    Every ground truth thus gets at least one anchor, even one it barely overlaps. Discard by
    setting the row and column to -1: IoUs are >= 0, so a discarded entry is never taken
    again, even when all that is left is IoU 0. G = 0 gives all -1.
    """
    ### BEGIN SOLUTION
    A, G = anchors.shape[0], ground_truth.shape[0]
    assigned = torch.full((A,), -1, dtype=torch.int64, device=anchors.device)
    if G == 0:
        return assigned
    iou = box_iou(anchors, ground_truth)  # (A, G)
    best_box = iou.argmax(dim=1)  # the first maximum: the lower box index
    best_iou = iou.amax(dim=1)
    assigned = torch.where(best_iou >= iou_threshold, best_box, assigned)
    left = iou.clone()
    for _ in range(G):
        flat = left.argmax()  # row-major: the lower anchor, then the lower box
        anchor, box = flat // G, flat % G
        assigned[anchor] = box
        left[anchor, :] = -1
        left[:, box] = -1
    return assigned
    ### END SOLUTION


def offset_boxes(anchors: torch.Tensor, assigned_bb: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The offsets that move each anchor onto its box: anchors (A, 4), assigned_bb (A, 4) -> (A, 4).

    In center form, anchor (x_a, y_a, w_a, h_a) and box (x_b, y_b, w_b, h_b):
        (10 * (x_b - x_a) / w_a,  10 * (y_b - y_a) / h_a,
          5 * log(eps + w_b / w_a),  5 * log(eps + h_b / h_a))
    i.e. ((dx / w_a - mu) / sigma) with mu = 0, sigma_xy = 0.1, sigma_wh = 0.2. Convert both
    to center form first: offsets of corners are not these.
    """
    ### BEGIN SOLUTION
    a = box_corner_to_center(anchors)
    b = box_corner_to_center(assigned_bb)
    xy = 10 * (b[..., :2] - a[..., :2]) / a[..., 2:]
    wh = 5 * torch.log(eps + b[..., 2:] / a[..., 2:])
    return torch.cat((xy, wh), dim=-1)
    ### END SOLUTION


def offset_inverse(anchors: torch.Tensor, offset_preds: torch.Tensor) -> torch.Tensor:
    """The boxes that predicted offsets point at: anchors (A, 4), offset_preds (A, 4) -> (A, 4) corner form.

    The inverse of offset_boxes (without its eps): with the anchors in center form,
        xy = offset_preds[:, :2] * wh_a / 10 + xy_a,     wh = exp(offset_preds[:, 2:] / 5) * wh_a,
    then back to corner form.
    """
    ### BEGIN SOLUTION
    a = box_corner_to_center(anchors)
    xy = offset_preds[..., :2] * a[..., 2:] / 10 + a[..., :2]
    wh = torch.exp(offset_preds[..., 2:] / 5) * a[..., 2:]
    return box_center_to_corner(torch.cat((xy, wh), dim=-1))
    ### END SOLUTION


def multibox_target(anchors: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training targets of every anchor in a batch of images.

    anchors (A, 4); labels (B, G, 5), each row (class, x1, y1, x2, y2) with class an integer
    >= 0 stored as a float; rows with class < 0 are padding (images with fewer objects) and
    take no part. Per image, anchors are assigned to that image's real boxes exactly as
    assign_anchor_to_bbox does (iou_threshold 0.5). Returns
        bbox_offset (B, A * 4): offset_boxes(anchor, its box) for assigned anchors, 0 for background;
        bbox_mask   (B, A * 4): 1.0 on the 4 offsets of assigned anchors, 0.0 elsewhere;
        class_labels (B, A) int64: class + 1 for assigned anchors, 0 for background.
    The offsets and the mask are in the labels' dtype, on their device. No Python loop over
    the images: the greedy pass runs its G steps for all images at once.
    """
    ### BEGIN SOLUTION
    B, G = labels.shape[:2]
    A = anchors.shape[0]
    if G == 0:  # no boxes at all: every anchor is background
        zeros = labels.new_zeros(B, A * 4)
        return zeros, zeros.clone(), torch.zeros(B, A, dtype=torch.int64, device=labels.device)
    classes, boxes = labels[..., 0], labels[..., 1:]  # (B, G), (B, G, 4)
    iou = box_iou(anchors, boxes)  # (B, A, G): the anchors broadcast over the images
    iou = torch.where((classes >= 0)[:, None, :], iou, torch.full_like(iou, -1.0))  # padding never matches
    best_box = iou.argmax(dim=2)
    assigned = torch.where(iou.amax(dim=2) >= 0.5, best_box, torch.full_like(best_box, -1))  # (B, A)
    left = iou.clone()
    images = torch.arange(B, device=labels.device)
    for _ in range(G):
        flat = left.reshape(B, -1).argmax(dim=1)  # the largest entry left in each image (the first of equals)
        value = left.reshape(B, -1).gather(1, flat[:, None])[:, 0]
        anchor, box = flat // G, flat % G
        taken = value >= 0  # an image whose real boxes are all assigned has only -1 left
        assigned[images, anchor] = torch.where(taken, box, assigned[images, anchor])
        left[images, anchor, :] = -1
        left[images, :, box] = -1
    positive = assigned >= 0  # (B, A)
    index = assigned.clamp(min=0)
    class_labels = torch.where(positive, classes.gather(1, index).long() + 1, torch.zeros_like(index))
    matched = boxes.gather(1, index[..., None].expand(-1, -1, 4))  # (B, A, 4)
    offsets = offset_boxes(anchors, matched)  # the anchors broadcast over the images
    mask = positive[..., None].expand(-1, -1, 4)
    bbox_offset = torch.where(mask, offsets, torch.zeros_like(offsets))
    return bbox_offset.reshape(B, -1), mask.to(labels.dtype).reshape(B, -1), class_labels
    ### END SOLUTION


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression: the indices (K,) int64 of the boxes kept, in descending score order.

    boxes (N, 4), scores (N,). Visit the boxes by descending score (stable: equal scores in
    index order). The first box is kept; every later box is removed when its IoU with an
    already kept box is greater than iou_threshold (an IoU equal to the threshold survives),
    else kept. Like torchvision.ops.nms. A loop over the kept boxes is fine: each step keeps
    the best box left and removes, in one vectorised step, the boxes it overlaps.
    """
    ### BEGIN SOLUTION
    order = torch.sort(scores, descending=True, stable=True).indices
    kept = []
    while order.numel() > 0:
        best, rest = order[:1], order[1:]
        kept.append(best)
        overlap = box_iou(boxes[best], boxes[rest])[0]  # (len(rest),)
        order = rest[overlap <= iou_threshold]
    return torch.cat(kept) if kept else order
    ### END SOLUTION


def multibox_detection(
    cls_probs: torch.Tensor,
    offset_preds: torch.Tensor,
    anchors: torch.Tensor,
    nms_threshold: float = 0.5,
    pos_threshold: float = 0.009999999,
) -> torch.Tensor:
    """Predicted boxes of a batch of images after non-maximum suppression: (B, A, 6).

    cls_probs (B, C + 1, A): per anchor the probabilities of background (row 0) and of the C
    classes; offset_preds (B, A * 4); anchors (A, 4). Per image:
      1. conf, class_id = the max over the C classes (rows 1..C) and its index 0..C-1
         (ties: the lower class);
      2. boxes = offset_inverse(anchors, offsets of the image);
      3. keep = nms(boxes, conf, nms_threshold): class-agnostic, a box of one class
         suppresses an overlapping box of any other;
      4. the rows: the kept anchors in NMS order, then the others by ascending index;
         an anchor not kept gets class_id -1;
      5. a row whose conf < pos_threshold gets class_id -1 and conf = 1 - conf;
      6. each row is (class_id, conf, x1, y1, x2, y2), in cls_probs' dtype.
    """
    ### BEGIN SOLUTION
    B, A = cls_probs.shape[0], cls_probs.shape[2]
    conf = cls_probs[:, 1:].amax(dim=1)  # (B, A)
    class_id = cls_probs[:, 1:].argmax(dim=1)  # the first maximum: the lower class
    boxes = offset_inverse(anchors, offset_preds.reshape(B, A, 4))  # (B, A, 4)
    # NMS of every image at once: each step keeps the best box left in every image
    order = torch.sort(conf, dim=1, descending=True, stable=True).indices  # (B, A)
    ranked = boxes.gather(1, order[..., None].expand(-1, -1, 4))
    positions = torch.arange(A, device=conf.device)
    left = torch.ones(B, A, dtype=torch.bool, device=conf.device)  # by rank
    kept = torch.zeros(B, A, dtype=torch.bool, device=conf.device)
    while bool(left.any()):
        first = left.to(torch.uint8).argmax(dim=1, keepdim=True)  # (B, 1): the best box left
        best = (positions == first) & left  # (B, A): all False in an image with nothing left
        kept = kept | best
        overlap = box_iou(ranked.gather(1, first[..., None].expand(-1, -1, 4)), ranked)[:, 0]  # (B, A)
        left = left & ~best & (overlap <= nms_threshold)
    # rows: the kept anchors by rank, then the others by index
    rank = torch.empty_like(order).scatter_(1, order, positions.expand(B, A))  # rank of each anchor
    keep = kept.gather(1, rank)  # by anchor
    rows = torch.where(keep, rank, A + positions).argsort(dim=1)
    class_id = torch.where(keep, class_id, torch.full_like(class_id, -1))
    low = conf < pos_threshold
    class_id = torch.where(low, torch.full_like(class_id, -1), class_id)
    conf = torch.where(low, 1 - conf, conf)
    out = torch.cat((class_id[..., None].to(conf.dtype), conf[..., None], boxes), dim=-1)  # (B, A, 6)
    return out.gather(1, rows[..., None].expand(-1, -1, 6))
    ### END SOLUTION
