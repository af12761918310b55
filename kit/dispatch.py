"""What a graded call ran: the forbidden kernels it reached, and whether it used autograd.

A forbidden routine can be reached under any name (a local alias, `sys.modules`, a private
kernel such as `torch._C._special.special_softmax`), but it always dispatches its kernel:
`torch.softmax` runs `aten::_softmax` however it was looked up. Two ways to see that, with
the same record (`record_of`), judged by kit.forbidden.violation:

- `Tripwires`, in the sandboxed child (the grader): the kernels of the forbidden ops are
  replaced, for the child's whole life, by one that notes the op and raises. Free until it
  is hit: nothing else the call runs goes through Python. Autograd, where a function must do
  without it, is caught by a saved-tensor hook: it fires only when a graph is built.
- `OpRecorder`, in the students' own pytest and the notebook: a `TorchDispatchMode` that
  notes every op (about 1.7 us each), since there the reference routines run in the same
  process and must not trip anything.

Kept free of hypothesis and pytest: the sandboxed child imports it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable

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

    def seal(self) -> None:
        """Called inside the mode, right after the call: whether the call left it in place."""
        self.intact = still_on_top(self)

    def record(self) -> dict:
        return record_of(sorted(self.ops), self.left_inference_mode, getattr(self, "intact", False))

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


def record_of(ops: list[str], used_autograd: bool, intact: bool) -> dict:
    """The plain-data record that crosses the wire: sorted op names, the autograd flag, and whether it is whole."""
    return {"ops": ops[:MAX_OPS], "left_inference_mode": used_autograd, "intact": intact and len(ops) <= MAX_OPS}


# Where a kernel can sit below the dispatch mode's view: every backend a student can put a
# tensor on, and the composite-explicit kernels that serve them all. (Composite-implicit
# ops are decompositions: what they decompose into is wired.)
KERNEL_KEYS = (
    "CPU", "CUDA", "Meta", "SparseCPU", "SparseCUDA", "SparseCsrCPU", "SparseCsrCUDA", "MkldnnCPU",
    "QuantizedCPU", "QuantizedCUDA", "NestedTensorCPU", "NestedTensorCUDA",
    "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional",
)


# A key no tensor here dispatches to: each library's kernel there shows that the library still stands.
SENTINEL_KEY = "PrivateUse1"


def tripwire_plan(banned: Iterable[str]) -> list[tuple[str, str]]:
    """(op with its overload, dispatch key) of every kernel whose op name contains a banned stem.

    Matched as kit.forbidden matches a record: by name, leading underscores aside, in every
    namespace (`quantized::softmax` is a softmax too).
    """
    banned = tuple(sorted(set(banned)))
    plan = []
    for name in sorted(torch._C._dispatch_get_all_op_names()):
        base = name.split("::", 1)[-1].split(".", 1)[0].lstrip("_")
        if any(stem in base for stem in banned):
            plan += [(name, key) for key in KERNEL_KEYS if _has_kernel(name, key)]
    return plan


def _has_kernel(name: str, key: str) -> bool:
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(name, key)
    except RuntimeError:  # "operator ... does not exist" here
        return False


class TrippedForbiddenKernel(RuntimeError):
    pass


class Tripwires:
    """The forbidden kernels replaced, for as long as this object lives (the child's whole life)."""

    def __init__(self, plan: Iterable[tuple[str, str]]) -> None:
        """`plan`: `tripwire_plan`'s, made by the grader (the child is spared the search); what this
        process has not registered (ops PyTorch registers on first use elsewhere) is left out."""
        self.tripped: set[str] = set()
        # whether each call's record checks that every kernel is still in place; the sandboxed child checks once
        # per batch of calls instead (a break anywhere in the batch then marks every call of it: autograder/child.py)
        self.checked_per_call = True
        self.libraries: dict[str, torch.library.Library] = {}
        self.sentinels: dict[str, str] = {}  # namespace: an op given a kernel at SENTINEL_KEY too
        with warnings.catch_warnings():  # "Overriding a previously registered kernel": that is the point
            warnings.simplefilter("ignore")
            for name, key in plan:
                if not _has_kernel(name, key):
                    continue
                namespace, op = name.split("::", 1)
                if namespace not in self.libraries:
                    self.libraries[namespace] = torch.library.Library(namespace, "IMPL")
                wire = self._wire(name.split(".", 1)[0])
                self.libraries[namespace].impl(op, wire, key)
                if namespace not in self.sentinels and not _has_kernel(name, SENTINEL_KEY):
                    self.libraries[namespace].impl(op, wire, SENTINEL_KEY)
                    self.sentinels[namespace] = name
        self.count = sum(len(lib._op_impls) for lib in self.libraries.values())
        self.watching: TripwireWatch | None = None
        self.original_guard = torch._C._InferenceMode
        _watch_inference_mode(self)

    def _wire(self, op: str):
        def tripped(*args, **kwargs):
            self.tripped.add(op)
            raise TrippedForbiddenKernel(f"{op} is the kernel of a routine this assignment asks you to implement yourself")

        return tripped

    def remove(self) -> None:
        """The kernels and the inference-mode guard as they were (the child never does: it ends instead)."""
        for lib in self.libraries.values():
            lib._destroy()
        torch._C._InferenceMode = self.original_guard

    def intact(self) -> bool:
        """Whether every replacement is still registered: code that destroys a library, or resets
        its C++ half (which the Python half does not notice), takes its sentinel kernel with it."""
        return (
            sum(len(lib._op_impls) for lib in self.libraries.values() if lib.m is not None) == self.count
            and len(self.sentinels) == len(self.libraries)
            and all(_has_kernel(name, SENTINEL_KEY) for name in self.sentinels.values())
        )

    def watch(self, autograd: bool) -> TripwireWatch:
        return TripwireWatch(self, autograd)


def _watch_inference_mode(wires: Tripwires) -> None:
    """torch.inference_mode(False) makes its guard through torch._C._InferenceMode: a call that
    must do without autograd and makes one with False has left inference mode."""
    def guard(mode: bool):
        watch = wires.watching
        if not mode and watch is not None and not watch.autograd:
            watch.used_autograd = True
        return wires.original_guard(mode)

    torch._C._InferenceMode = guard


class TripwireWatch:
    """One graded call's view of the tripwires, and with `autograd=False` of autograd: a saved
    tensor (autograd saves them to build a graph) or inference mode left marks its use."""

    def __init__(self, wires: Tripwires, autograd: bool) -> None:
        self.wires, self.autograd = wires, autograd
        self.used_autograd = False
        self.intact = False
        self.pack = self._saved  # one bound method: seal() finds this very object on top
        self.hooks = None if autograd else torch.autograd.graph.saved_tensors_hooks(self.pack, lambda tensor: tensor)

    def _saved(self, tensor):
        self.used_autograd = True  # autograd saves tensors for a backward pass: a graph is being built
        return tensor

    def __enter__(self) -> TripwireWatch:
        self.wires.tripped.clear()
        self.wires.watching = self
        if self.hooks is not None:
            self.hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.wires.watching = None
        if self.hooks is not None:
            try:
                self.hooks.__exit__(*exc)
            except Exception:  # the call popped them itself: seal() said so already
                pass

    def seal(self) -> None:
        """Called right after the call, inside inference mode and the hooks: whether it left both in place."""
        ok = self.wires.intact() if self.wires.checked_per_call else True
        if self.hooks is not None:
            top = torch._C._autograd._top_saved_tensors_default_hooks(False)
            ok = ok and top is not None and top[0] is self.pack and torch.is_inference_mode_enabled()
        self.intact = ok

    def record(self) -> dict:
        return record_of(sorted(self.wires.tripped), self.used_autograd, self.intact)
