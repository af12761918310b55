"""Wrong implementations of assignment 15 (object detection basics)."""

from mutants import Mutant

MUTANTS = [
    # box_corner_to_center
    Mutant("15", "detection", "box_corner_to_center", "corner_to_center_half_sizes",
           "x2 - x1, y2 - y1), dim=-1)", "(x2 - x1) / 2, (y2 - y1) / 2), dim=-1)"),
    Mutant("15", "detection", "box_corner_to_center", "corner_to_center_sum_not_mean",
           "(x1 + x2) / 2, (y1 + y2) / 2", "x1 + x2, y1 + y2"),
    # box_center_to_corner
    Mutant("15", "detection", "box_center_to_corner", "center_to_corner_whole_sizes",
           "(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)", "(cx - w, cy - h, cx + w, cy + h)"),
    Mutant("15", "detection", "box_center_to_corner", "center_to_corner_x_then_y",
           "(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)", "(cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)"),
    # multibox_prior
    Mutant("15", "detection", "multibox_prior", "prior_seed_shape_order",  # the seed's text: (s_1, r_1..r_m), then (s_2..s_n, r_1)
           "    s = torch.cat((size, size[:1].expand(len(ratios) - 1)))  # (k,): s_1..s_n, then s_1 again\n"
           "    r = torch.cat((ratio[:1].expand(len(sizes)), ratio[1:]))  # (k,): r_1 n times, then r_2..r_m",
           "    s = torch.cat((size[:1].expand(len(ratios)), size[1:]))\n"
           "    r = torch.cat((ratio, ratio[:1].expand(len(sizes) - 1)))"),
    Mutant("15", "detection", "multibox_prior", "prior_seed_pixel_aspect",  # the seed's w s sqrt(r) in pixels: ratio r * width / height
           "w = s * r.sqrt() * height / width", "w = s * r.sqrt()"),
    Mutant("15", "detection", "multibox_prior", "prior_ratio_inverted",
           "    w = s * r.sqrt() * height / width  # normalised by the width: the pixel aspect ratio is r\n    h = s / r.sqrt()",
           "    w = s / r.sqrt() * height / width\n    h = s * r.sqrt()"),
    Mutant("15", "detection", "multibox_prior", "prior_centres_on_pixel_corners",
           "(torch.arange(height, dtype=dtype, device=device) + 0.5) / height", "torch.arange(height, dtype=dtype, device=device) / height"),
    Mutant("15", "detection", "multibox_prior", "prior_columns_first",
           'cy, cx = torch.meshgrid(ys, xs, indexing="ij")', 'cy, cx = torch.meshgrid(ys, xs, indexing="xy")'),
    Mutant("15", "detection", "multibox_prior", "prior_whole_sizes_each_side",
           "half = torch.stack((-w, -h, w, h), dim=-1) / 2", "half = torch.stack((-w, -h, w, h), dim=-1)"),
    # box_iou
    Mutant("15", "detection", "box_iou", "iou_unclamped_intersection",
           "sides = (bottom_right - top_left).clamp(min=0)", "sides = bottom_right - top_left"),
    Mutant("15", "detection", "box_iou", "iou_union_without_subtracting_the_intersection",
           "union = area1[..., :, None] + area2[..., None, :] - inter", "union = area1[..., :, None] + area2[..., None, :]"),
    Mutant("15", "detection", "box_iou", "iou_nan_for_zero_area_pairs",
           "return inter / torch.where(union > 0, union, torch.ones_like(union))", "return inter / union"),
    Mutant("15", "detection", "box_iou", "iou_top_left_by_minimum",
           "top_left = torch.maximum(", "top_left = torch.minimum("),
    # assign_anchor_to_bbox
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_flat_index_mod_A",
           "anchor, box = flat // G, flat % G", "anchor, box = flat % A, flat % G"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_without_threshold_pass",
           "    assigned = torch.where(best_iou >= iou_threshold, best_box, assigned)\n", ""),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_without_greedy_pass",
           "for _ in range(G):", "for _ in range(0):"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_threshold_strict",
           "best_iou >= iou_threshold", "best_iou > iou_threshold"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_threshold_pass_overrides_greedy",
           "    assigned = torch.where(best_iou >= iou_threshold, best_box, assigned)\n    left = iou.clone()\n"
           "    for _ in range(G):\n        flat = left.argmax()  # row-major: the lower anchor, then the lower box\n"
           "        anchor, box = flat // G, flat % G\n        assigned[anchor] = box\n        left[anchor, :] = -1\n        left[:, box] = -1\n",
           "    left = iou.clone()\n"
           "    for _ in range(G):\n        flat = left.argmax()\n"
           "        anchor, box = flat // G, flat % G\n        assigned[anchor] = box\n        left[anchor, :] = -1\n        left[:, box] = -1\n"
           "    assigned = torch.where(best_iou >= iou_threshold, best_box, assigned)\n"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_discards_with_zero",
           "        left[anchor, :] = -1\n        left[:, box] = -1", "        left[anchor, :] = 0\n        left[:, box] = 0"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_keeps_the_column",
           "        left[:, box] = -1\n", ""),
    # offset_boxes
    Mutant("15", "detection", "offset_boxes", "offsets_in_corner_form",
           "    a = box_corner_to_center(anchors)\n    b = box_corner_to_center(assigned_bb)\n", "    a, b = anchors, assigned_bb\n"),
    Mutant("15", "detection", "offset_boxes", "offsets_log_scaled_by_10",
           "wh = 5 * torch.log(", "wh = 10 * torch.log("),
    Mutant("15", "detection", "offset_boxes", "offsets_relative_to_the_box",
           "xy = 10 * (b[..., :2] - a[..., :2]) / a[..., 2:]", "xy = 10 * (b[..., :2] - a[..., :2]) / b[..., 2:]"),
    # offset_inverse
    Mutant("15", "detection", "offset_inverse", "inverse_returns_center_form",
           "return box_center_to_corner(torch.cat((xy, wh), dim=-1))", "return torch.cat((xy, wh), dim=-1)"),
    Mutant("15", "detection", "offset_inverse", "inverse_sigmas_swapped",
           "    xy = offset_preds[..., :2] * a[..., 2:] / 10 + a[..., :2]\n    wh = torch.exp(offset_preds[..., 2:] / 5) * a[..., 2:]",
           "    xy = offset_preds[..., :2] * a[..., 2:] / 5 + a[..., :2]\n    wh = torch.exp(offset_preds[..., 2:] / 10) * a[..., 2:]"),
    Mutant("15", "detection", "offset_inverse", "inverse_without_exp",
           "wh = torch.exp(offset_preds[..., 2:] / 5) * a[..., 2:]", "wh = (1 + offset_preds[..., 2:] / 5) * a[..., 2:]"),
    # multibox_target
    Mutant("15", "detection", "multibox_target", "target_classes_without_plus_one",
           "classes.gather(1, index).long() + 1", "classes.gather(1, index).long()"),
    Mutant("15", "detection", "multibox_target", "target_padding_not_ignored",
           "    iou = torch.where((classes >= 0)[:, None, :], iou, torch.full_like(iou, -1.0))  # padding never matches\n", ""),
    Mutant("15", "detection", "multibox_target", "target_background_offsets_kept",
           "bbox_offset = torch.where(mask, offsets, torch.zeros_like(offsets))", "bbox_offset = offsets"),
    Mutant("15", "detection", "multibox_target", "target_without_greedy_pass",
           "for _ in range(G):", "for _ in range(0):"),
    # nms
    Mutant("15", "detection", "nms", "nms_removes_at_equal_iou",
           "order = rest[overlap <= iou_threshold]", "order = rest[overlap < iou_threshold]"),
    Mutant("15", "detection", "nms", "nms_resorted_by_index",
           "return torch.cat(kept) if kept else order", "return torch.cat(kept).sort().values if kept else order"),
    Mutant("15", "detection", "nms", "nms_ties_by_higher_index",
           "order = torch.sort(scores, descending=True, stable=True).indices", "order = torch.sort(scores, stable=True).indices.flip(0)"),
    Mutant("15", "detection", "nms", "nms_ascending_scores",
           "descending=True, stable=True", "descending=False, stable=True"),
    # multibox_detection
    Mutant("15", "detection", "multibox_detection", "detection_per_class_nms",  # MXNet's MultiBoxDetection in the seed
           "        left = left & ~best & (overlap <= nms_threshold)",
           "        ranked_class = class_id.gather(1, order)\n"
           "        top_class = ranked_class.gather(1, first)\n"
           "        left = left & ~best & ((overlap <= nms_threshold) | (ranked_class != top_class))"),
    Mutant("15", "detection", "multibox_detection", "detection_removed_rows_keep_their_class",
           "    class_id = torch.where(keep, class_id, torch.full_like(class_id, -1))\n", ""),
    Mutant("15", "detection", "multibox_detection", "detection_rows_by_index",
           "return out.gather(1, rows[..., None].expand(-1, -1, 6))", "return out"),
    Mutant("15", "detection", "multibox_detection", "detection_low_conf_not_flipped",
           "    conf = torch.where(low, 1 - conf, conf)\n", ""),
    Mutant("15", "detection", "multibox_detection", "detection_max_includes_background",
           "    conf = cls_probs[:, 1:].amax(dim=1)  # (B, A)\n    class_id = cls_probs[:, 1:].argmax(dim=1)",
           "    conf = cls_probs.amax(dim=1)\n    class_id = cls_probs.argmax(dim=1)"),
]

# Python loops over the boxes (the pixels, the anchors, the images): correct values, but a few torch calls per
# element. The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("15", "detection", "box_corner_to_center", "corner_to_center_loop_over_boxes",
           "    x1, y1, x2, y2 = boxes.unbind(-1)\n    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)",
           "    rows = [torch.stack(((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1])) for b in boxes.reshape(-1, 4)]\n"
           "    return torch.stack(rows).reshape(boxes.shape) if rows else boxes.clone()"),
    Mutant("15", "detection", "box_center_to_corner", "center_to_corner_loop_over_boxes",
           "    cx, cy, w, h = boxes.unbind(-1)\n    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)",
           "    rows = [torch.stack((b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2)) for b in boxes.reshape(-1, 4)]\n"
           "    return torch.stack(rows).reshape(boxes.shape) if rows else boxes.clone()"),
    Mutant("15", "detection", "multibox_prior", "prior_loop_over_pixels",
           '    cy, cx = torch.meshgrid(ys, xs, indexing="ij")  # (height, width): row y, column x\n'
           "    centres = torch.stack((cx, cy, cx, cy), dim=-1).reshape(-1, 1, 4)  # (height * width, 1, 4)\n"
           "    return (centres + half).reshape(-1, 4)",
           "    return torch.cat([torch.stack((x, y, x, y)) + half for y in ys for x in xs])  # one pixel at a time"),
    Mutant("15", "detection", "box_iou", "iou_loop_over_boxes",
           "    area1 = (boxes1[..., 2] - boxes1[..., 0])",
           "    if boxes1.dim() == 2 and len(boxes1) > 1:  # one box of boxes1 at a time\n"
           "        return torch.cat([box_iou(b[None], boxes2) for b in boxes1])\n"
           "    area1 = (boxes1[..., 2] - boxes1[..., 0])"),
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_loop_over_anchors",
           "    assigned = torch.where(best_iou >= iou_threshold, best_box, assigned)\n",
           "    for i in range(A):  # one anchor at a time\n"
           "        if best_iou[i] >= iou_threshold:\n"
           "            assigned[i] = best_box[i]\n"),
    Mutant("15", "detection", "offset_boxes", "offsets_loop_over_anchors",
           "    xy = 10 * (b[..., :2] - a[..., :2]) / a[..., 2:]\n    wh = 5 * torch.log(eps + b[..., 2:] / a[..., 2:])\n"
           "    return torch.cat((xy, wh), dim=-1)",
           "    rows = [torch.cat((10 * (q[:2] - p[:2]) / p[2:], 5 * torch.log(eps + q[2:] / p[2:]))) for p, q in zip(a, b)]  # one at a time\n"
           "    return torch.stack(rows) if rows else a.clone()"),
    Mutant("15", "detection", "offset_inverse", "inverse_loop_over_anchors",
           "    xy = offset_preds[..., :2] * a[..., 2:] / 10 + a[..., :2]\n    wh = torch.exp(offset_preds[..., 2:] / 5) * a[..., 2:]\n"
           "    return box_center_to_corner(torch.cat((xy, wh), dim=-1))",
           "    rows = [torch.cat((o[:2] * p[2:] / 10 + p[:2], torch.exp(o[2:] / 5) * p[2:])) for p, o in zip(a, offset_preds)]  # one at a time\n"
           "    return box_center_to_corner(torch.stack(rows)) if rows else a.clone()"),
    Mutant("15", "detection", "multibox_target", "target_loop_over_images",
           "    B, G = labels.shape[:2]\n    A = anchors.shape[0]\n",
           "    if labels.shape[0] > 1:  # one image at a time\n"
           "        parts = [multibox_target(anchors, labels[b : b + 1]) for b in range(labels.shape[0])]\n"
           "        return tuple(torch.cat([p[i] for p in parts]) for i in range(3))\n"
           "    B, G = labels.shape[:2]\n    A = anchors.shape[0]\n"),
    Mutant("15", "detection", "nms", "nms_loop_over_every_box",
           "    kept = []\n    while order.numel() > 0:\n        best, rest = order[:1], order[1:]\n        kept.append(best)\n"
           "        overlap = box_iou(boxes[best], boxes[rest])[0]  # (len(rest),)\n        order = rest[overlap <= iou_threshold]\n"
           "    return torch.cat(kept) if kept else order",
           "    kept = []\n    for i in order.tolist():  # every box, one at a time\n"
           "        if not kept or bool((box_iou(boxes[i : i + 1], boxes[torch.tensor(kept, device=boxes.device)])[0] <= iou_threshold).all()):\n"
           "            kept.append(i)\n"
           "    return torch.tensor(kept, dtype=torch.int64, device=boxes.device)"),
]
MUTANTS += LOOPS

# Device-bound mistakes that no machine without CUDA catches (caught_by="cuda", tests/mutants/__init__.py): the CPU
# tests skip them and check that they pass every CPU check; benchmarks/device_check.py asserts them caught on a GPU.
CUDA_ONLY = [
    # the kept indices rebuilt from a Python list without device=: the result lives on the CPU for CUDA boxes
    Mutant("15", "detection", "nms", "nms_indices_on_the_cpu",
           "return torch.cat(kept) if kept else order", "return torch.tensor([int(i) for i in torch.cat(kept)]) if kept else order",
           caught_by="cuda"),
    # the background map made without device=: torch.where then mixes a CPU tensor with CUDA ones
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_background_on_the_cpu",
           "assigned = torch.full((A,), -1, dtype=torch.int64, device=anchors.device)", "assigned = torch.full((A,), -1, dtype=torch.int64)",
           caught_by="cuda"),
]
