"""Wrong implementations of assignment 02 (softmax regression)."""

from mutants import Mutant

MUTANTS = [
    Mutant("02", "softmax", "softmax", "no_max_subtraction",
           "shifted = X - X.amax(dim=dim, keepdim=True)", "shifted = X"),
    Mutant("02", "softmax", "softmax", "wrong_dim",
           "exps / exps.sum(dim=dim, keepdim=True)", "exps / exps.sum(dim=0, keepdim=True)"),
    Mutant("02", "softmax", "log_softmax", "log_of_softmax",
           "return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
           "return (shifted.exp() / shifted.exp().sum(dim=dim, keepdim=True)).log()"),
    Mutant("02", "softmax", "cross_entropy", "mean_instead_of_sum",
           'return losses.sum() if reduction == "sum" else losses.mean()', "return losses.mean()"),
    Mutant("02", "softmax", "cross_entropy", "off_by_one_target",
           "gather(1, target.unsqueeze(1))", "gather(1, (target.unsqueeze(1) + 1) % logits.shape[1])"),
    Mutant("02", "softmax", "softmax", "hard_coded_float32",
           "return exps / exps.sum(dim=dim, keepdim=True)",
           "return (exps / exps.sum(dim=dim, keepdim=True)).float()"),
    Mutant("02", "softmax", "softmax", "hard_coded_cpu",
           "shifted = X - X.amax(dim=dim, keepdim=True)",
           "shifted = X - X.amax(dim=dim, keepdim=True) + torch.zeros(X.shape, dtype=X.dtype)", caught_by="meta"),
    Mutant("02", "softmax", "cross_entropy", "modifies_logits",
           "log_p = log_softmax(logits, dim=1)", "log_p = log_softmax(logits.sub_(0.5), dim=1)"),
    Mutant("02", "softmax", "accuracy", "argmax_over_batch",
           "logits.argmax(dim=1)", "logits.argmax(dim=0)[: len(target)]"),
]

# Python loops over the batch: correct values, but each row costs a few torch calls of its own.
# The efficiency check (kit.spec.Efficiency) catches them; every other check passes them.
LOOPS = [
    Mutant("02", "softmax", "softmax", "loop_over_rows",
           "return exps / exps.sum(dim=dim, keepdim=True)",
           "rows = exps.movedim(dim, -1)\n"
           "    flat = rows.reshape(-1, rows.shape[-1])\n"
           "    return torch.stack([row / row.sum() for row in flat]).reshape(rows.shape).movedim(-1, dim)"),
    Mutant("02", "softmax", "log_softmax", "log_softmax_loop_over_rows",
           "return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()",
           "rows = shifted.movedim(dim, -1)\n"
           "    flat = rows.reshape(-1, rows.shape[-1])\n"
           "    return torch.stack([row - row.exp().sum().log() for row in flat]).reshape(rows.shape).movedim(-1, dim)"),
    Mutant("02", "softmax", "cross_entropy", "cross_entropy_loop_over_examples",
           "losses = -log_p.gather(1, target.unsqueeze(1)).squeeze(1)",
           "losses = -torch.stack([log_p[i].gather(0, target[i : i + 1]) for i in range(len(target))]).reshape(-1)"),
    Mutant("02", "softmax", "accuracy", "accuracy_loop_over_examples",
           "return (logits.argmax(dim=1) == target).double().mean().item()",
           "return sum(float(logits[i].argmax() == target[i]) for i in range(len(target))) / len(target)"),
]
MUTANTS += LOOPS
