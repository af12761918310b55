"""Honest rewrites of assignment 15 (object detection basics)."""

from mutants import Mutant

HONEST = [
    # the two halves of the box at once, a product by 0.5
    Mutant("15", "detection", "box_corner_to_center", "corner_to_center_by_halves",
           "    x1, y1, x2, y2 = boxes.unbind(-1)\n    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)",
           "    return torch.cat(((boxes[..., :2] + boxes[..., 2:]) * 0.5, boxes[..., 2:] - boxes[..., :2]), dim=-1)"),
    Mutant("15", "detection", "box_center_to_corner", "center_to_corner_by_halves",
           "    cx, cy, w, h = boxes.unbind(-1)\n    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)",
           "    half = boxes[..., 2:] * 0.5\n    return torch.cat((boxes[..., :2] - half, boxes[..., :2] + half), dim=-1)"),
    # d2l's construction: the shapes repeated for every pixel, the centres repeat_interleave'd
    Mutant("15", "detection", "multibox_prior", "prior_like_d2l",
           "    s = torch.cat((size, size[:1].expand(len(ratios) - 1)))  # (k,): s_1..s_n, then s_1 again\n"
           "    r = torch.cat((ratio[:1].expand(len(sizes)), ratio[1:]))  # (k,): r_1 n times, then r_2..r_m\n"
           "    w = s * r.sqrt() * height / width  # normalised by the width: the pixel aspect ratio is r\n"
           "    h = s / r.sqrt()\n"
           "    half = torch.stack((-w, -h, w, h), dim=-1) / 2  # (k, 4)\n"
           "    ys = (torch.arange(height, dtype=dtype, device=device) + 0.5) / height\n"
           "    xs = (torch.arange(width, dtype=dtype, device=device) + 0.5) / width\n"
           '    cy, cx = torch.meshgrid(ys, xs, indexing="ij")  # (height, width): row y, column x\n'
           "    centres = torch.stack((cx, cy, cx, cy), dim=-1).reshape(-1, 1, 4)  # (height * width, 1, 4)\n"
           "    return (centres + half).reshape(-1, 4)",
           "    w = torch.cat((size * ratio[0].sqrt(), sizes[0] * ratio[1:].sqrt())) * height / width\n"
           "    h = torch.cat((size / ratio[0].sqrt(), sizes[0] / ratio[1:].sqrt()))\n"
           "    manipulations = torch.stack((-w, -h, w, h)).T.repeat(height * width, 1) / 2\n"
           "    center_h = (torch.arange(height, device=device, dtype=dtype) + 0.5) * (1.0 / height)\n"
           "    center_w = (torch.arange(width, device=device, dtype=dtype) + 0.5) * (1.0 / width)\n"
           '    shift_y, shift_x = torch.meshgrid(center_h, center_w, indexing="ij")\n'
           "    shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)\n"
           "    grid = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1).repeat_interleave(len(sizes) + len(ratios) - 1, dim=0)\n"
           "    return grid + manipulations"),
    # the intersection as a product over the last axis, 0/0 replaced afterwards by torch.where
    Mutant("15", "detection", "box_iou", "iou_prod_then_where",
           "    sides = (bottom_right - top_left).clamp(min=0)\n    inter = sides[..., 0] * sides[..., 1]  # (..., N, M)\n"
           "    union = area1[..., :, None] + area2[..., None, :] - inter\n"
           "    return inter / torch.where(union > 0, union, torch.ones_like(union))  # union 0 means inter 0: 0 / 1",
           "    inter = (bottom_right - top_left).clamp(min=0).prod(dim=-1)\n"
           "    union = area1[..., :, None] + area2[..., None, :] - inter\n"
           "    iou = inter / union\n"
           "    return torch.where(union > 0, iou, torch.zeros_like(iou))"),
    # the IoU matrix in float64: on the drawn grids the same ties and the same threshold decisions
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_in_float64",
           "iou = box_iou(anchors, ground_truth)  # (A, G)", "iou = box_iou(anchors.double(), ground_truth.double())  # (A, G)"),
    # the greedy pass with Python ints (.item()), the row and column discarded with index_fill
    Mutant("15", "detection", "assign_anchor_to_bbox", "assign_greedy_with_python_ints",
           "        flat = left.argmax()  # row-major: the lower anchor, then the lower box\n"
           "        anchor, box = flat // G, flat % G\n        assigned[anchor] = box\n        left[anchor, :] = -1\n        left[:, box] = -1\n",
           "        anchor, box = divmod(int(left.argmax()), G)\n        assigned[anchor] = box\n"
           "        left = left.index_fill(0, torch.tensor([anchor], device=left.device), -1.0)\n"
           "        left = left.index_fill(1, torch.tensor([box], device=left.device), -1.0)\n"),
    # everything in float64, cast at the end
    Mutant("15", "detection", "offset_boxes", "offsets_in_float64",
           "    a = box_corner_to_center(anchors)\n    b = box_corner_to_center(assigned_bb)\n"
           "    xy = 10 * (b[..., :2] - a[..., :2]) / a[..., 2:]\n    wh = 5 * torch.log(eps + b[..., 2:] / a[..., 2:])\n"
           "    return torch.cat((xy, wh), dim=-1)",
           "    a = box_corner_to_center(anchors.double())\n    b = box_corner_to_center(assigned_bb.double())\n"
           "    xy = (b[..., :2] - a[..., :2]) / a[..., 2:] / 0.1\n    wh = torch.log(eps + b[..., 2:] / a[..., 2:]) / 0.2\n"
           "    return torch.cat((xy, wh), dim=-1).to(anchors.dtype)"),
    # the corners straight from the centre and the size
    Mutant("15", "detection", "offset_inverse", "inverse_corners_directly",
           "return box_center_to_corner(torch.cat((xy, wh), dim=-1))", "return torch.cat((xy - wh / 2, xy + wh / 2), dim=-1)"),
    # every image's IoUs from one (A, B * G) matrix
    Mutant("15", "detection", "multibox_target", "target_from_one_flat_iou_matrix",
           "iou = box_iou(anchors, boxes)  # (B, A, G): the anchors broadcast over the images",
           "iou = box_iou(anchors, boxes.reshape(-1, 4)).reshape(A, B, G).permute(1, 0, 2)  # (B, A, G)"),
    # the IoUs of all pairs once, then one step per kept box over boolean flags
    Mutant("15", "detection", "nms", "nms_iou_matrix_and_flags",
           "    kept = []\n    while order.numel() > 0:\n        best, rest = order[:1], order[1:]\n        kept.append(best)\n"
           "        overlap = box_iou(boxes[best], boxes[rest])[0]  # (len(rest),)\n        order = rest[overlap <= iou_threshold]\n"
           "    return torch.cat(kept) if kept else order",
           "    overlap = box_iou(boxes[order], boxes[order])  # by rank\n"
           "    left = torch.ones(len(order), dtype=torch.bool, device=boxes.device)\n"
           "    kept = []\n"
           "    while bool(left.any()):\n"
           "        i = int(left.to(torch.uint8).argmax())\n"
           "        kept.append(i)\n"
           "        left = left & (overlap[i] <= iou_threshold)\n"
           "        left[i] = False\n"
           "    return order[torch.tensor(kept, dtype=torch.int64, device=boxes.device)]"),
    # d2l v2's multibox_detection: a loop over the images with nms (not timed: NMS loops anyway)
    Mutant("15", "detection", "multibox_detection", "detection_like_d2l",
           "    B, A = cls_probs.shape[0], cls_probs.shape[2]\n    conf = cls_probs[:, 1:].amax(dim=1)  # (B, A)\n",
           "    B, A = cls_probs.shape[0], cls_probs.shape[2]\n"
           "    out = []\n"
           "    for i in range(B):\n"
           "        conf, class_id = torch.max(cls_probs[i, 1:], 0)\n"
           "        predicted_bb = offset_inverse(anchors, offset_preds[i].reshape(-1, 4))\n"
           "        keep = nms(predicted_bb, conf, nms_threshold)\n"
           "        all_idx = torch.arange(A, dtype=torch.long, device=cls_probs.device)\n"
           "        uniques, counts = torch.cat((keep, all_idx)).unique(return_counts=True)\n"
           "        non_keep = uniques[counts == 1]\n"
           "        all_id_sorted = torch.cat((keep, non_keep))\n"
           "        class_id[non_keep] = -1\n"
           "        class_id = class_id[all_id_sorted]\n"
           "        conf, predicted_bb = conf[all_id_sorted], predicted_bb[all_id_sorted]\n"
           "        below_min_idx = conf < pos_threshold\n"
           "        class_id[below_min_idx] = -1\n"
           "        conf[below_min_idx] = 1 - conf[below_min_idx]\n"
           "        out.append(torch.cat((class_id.unsqueeze(1).to(conf.dtype), conf.unsqueeze(1), predicted_bb), dim=1))\n"
           "    return torch.stack(out)\n"
           "    conf = cls_probs[:, 1:].amax(dim=1)  # (B, A)\n"),
]
