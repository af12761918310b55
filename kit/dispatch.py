"""What a graded call actually ran: the aten ops it dispatched, and whether it left inference mode.

A forbidden routine can be reached under any name (a local alias, `sys.modules`, a private
kernel such as `torch._C._special.special_softmax`), but it always dispatches its kernel:
`torch.softmax` runs `aten::_softmax` however it was looked up. `OpRecorder` is a
`TorchDispatchMode` that the call helper (kit.execute) installs around each graded call that
is judged (kit.forbidden.records); the grader judges the record against the ops each
forbidden routine lowers to. Kept free of hypothesis and pytest: the sandboxed child imports it.
"""

from __future__ import annotations

import functools

import torch
from torch.utils._python_dispatch import TorchDispatchMode

MAX_OPS = 2000  # distinct op names kept per call: far more than any graded function runs


class OpRecorder(TorchDispatchMode):
    """Records every distinct op (`aten::_softmax`) and, with `watch_inference_mode`, whether any ran outside inference mode.

    The mode's own machinery costs about 1.7 us per op (PyTorch 2.13, this kit's CI machine;
    an op on a small tensor takes about 1 us): what it does per op is kept to a set insertion
    and a direct call of the C++ op, and names are made once per op, in `record_of`.
    """

    def __init__(self, watch_inference_mode: bool = False) -> None:
        super().__init__()
        self.seen: set = set()
        self.watch_inference_mode = watch_inference_mode
        self.left_inference_mode = False

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # TorchDispatchMode otherwise wraps __torch_dispatch__ in torch._disable_dynamo, 0.6 us
        # an op (a third of the mode's cost); a graded call that compiles runs the ops it
        # compiled through this mode all the same.
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.seen.add(func)
        if self.watch_inference_mode and not torch.is_inference_mode_enabled():
            self.left_inference_mode = True
        op = getattr(func, "_op", func)  # OpOverload.__call__ is one Python frame around its C++ op
        return op(*args, **kwargs) if kwargs else op(*args)

    @property
    def ops(self) -> set[str]:
        """'aten::add', whatever the overload."""
        return {op_name(func) for func in self.seen}


@functools.cache
def op_name(func) -> str:
    name = getattr(func, "name", None)
    return (name() if callable(name) else str(func)).split(".")[0]


def still_on_top(recorder: OpRecorder) -> bool:
    """Whether `recorder` is still the innermost dispatch mode: code that pops it stops the recording."""
    try:
        return torch._C._len_torch_dispatch_stack() > 0 and torch._C._get_dispatch_stack_at(torch._C._len_torch_dispatch_stack() - 1) is recorder
    except (AttributeError, RuntimeError):
        return False


def record_of(recorder: OpRecorder, intact: bool) -> dict:
    """The plain-data record that crosses the wire: sorted op names, the inference-mode flag, and whether it is whole."""
    ops = sorted(recorder.ops)
    return {"ops": ops[:MAX_OPS], "left_inference_mode": recorder.left_inference_mode, "intact": intact and len(ops) <= MAX_OPS}
