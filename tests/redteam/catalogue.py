"""The red-team catalogue: one record per hostile or broken submission of assignment 02
(a few attack another assignment, where 02 has nothing to attack or the weakness is that
assignment's own: `assignment`).

Each record names its case file in `cases/` (or how the test makes it, for submissions that
cannot be a file: empty, symlink, oversize...), which graded functions must score 0, which
must keep full marks, which must lose points, the text the student must be told, and what
must never appear in the result. Hostile cases are the reference solution except for the
function(s) they attack, so they must earn exactly what their honest parts earn.

`run="batch"` cases are graded together (one `grade_all`, two workers) with honest students
mixed in; `run="sequence"` cases are graded one after another in a single worker, in
catalogue order, because they attack whoever comes next. `hole` marks a case that a real
weakness of the grader currently defeats: its test is a strict xfail, and the text says what
is wrong and how to fix it (see also docs/redteam.md).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("softmax", "log_softmax", "cross_entropy", "accuracy")
FUNCTIONS = {  # the graded functions of each assignment a case attacks
    "02": ALL,
    "05": ("batch_norm", "layer_norm"),
    "07": ("rnn_forward", "rnn_backward"),
    "08": ("masked_softmax", "scaled_dot_product_attention", "multi_head_attention", "positional_encoding"),
    "09": ("sgd", "sgd_momentum", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "warmup_cosine_lr"),
    "10": ("init_params", "forward", "train", "plot_history"),
}
HONEST_MARKER = "honest-student-marker-7d41c9"  # in every honest student's file: must never leak
SECRET_ENV = ("KIT_REDTEAM_SECRET", "env-secret-5f0e22b1")  # set in the grader's environment: must never leak
PORT = 47391  # the test listens on 127.0.0.1:PORT (and an abstract unix socket): nothing may connect


@dataclass(frozen=True)
class Case:
    name: str  # also the student's folder name
    kind: str  # "hostile", "broken" or "honest" (the students hostile ones must not hurt)
    summary: str  # what it tries: the case file's docstring, or the description of a made case
    defence: str  # what stops it
    zero: tuple[str, ...] = ()  # graded functions that must score exactly 0
    full: tuple[str, ...] = ()  # graded functions that must keep full marks
    loses: tuple[str, ...] = ()  # graded functions that must lose points (wrong but well-formed output)
    failed: tuple[str, ...] = ()  # checks ("function: check name") that must fail
    messages: tuple[str, ...] = ()  # text the student must see (in `output` when where="output", else in a test's output)
    where: str = "tests"
    absent: tuple[str, ...] = ()  # text that must appear nowhere in the results.json
    file: str | None = None  # under cases/; None: made by the test (see `make`)
    make: str | None = None  # how the test makes it: "empty", "symlink", "copy:<repo path>", ...
    install_as: str = "softmax.py"
    extra: tuple[tuple[str, str], ...] = ()  # (case file, name in the student's folder): other files submitted alongside
    spies: tuple[str, ...] = ()  # functions in `full` that are instrumented (not the reference's text)
    run: str = "batch"
    hole: str | None = None
    assignment: str = "02"  # another one only for what 02 cannot show (its functions all take tensors, its kernels are its own)
    # "warn": graded in a run where the static check only reports, for a probe whose code it refuses
    # (ctypes, frames, gc): the probe must still run, so that what stops it is the sandbox
    forbidden_api: str = "zero"


def rest(*attacked: str) -> tuple[str, ...]:
    return tuple(f for f in ALL if f not in attacked)


MATCHES = {
    "softmax": "softmax: matches torch.softmax",
    "log_softmax": "log_softmax: matches torch.log_softmax",
    "cross_entropy": "cross_entropy: matches F.cross_entropy",
    "accuracy": "accuracy: matches the fraction of rows whose argmax is the target",
}
SANDBOX = "sandbox (bubblewrap: own mount, PID, network and user namespaces)"
WIRE = "wire validation (kit.wire: only plain tensors, numbers, strings, lists, tuples, str-keyed dicts cross)"
PARENT = "parent-side comparison (references computed and judged in the grader, on decoded plain data)"
STATIC = "static check (autograder/static.py)"
STAGING = "staging (autograder/submissions.py reads and validates the one module file)"
RUNTIME = "runtime record (kit/dispatch.py, kit/forbidden.py: tripwires on the forbidden kernels in the sandboxed child; one call that reaches one and the function scores 0)"


def runtime(detail: str) -> str:
    """The defence of a forbidden routine reached where the static check may not look: the record of what ran."""
    return f"{RUNTIME}: {detail}; the static check flags it first where it sees through the look-up or knows the name (the same 0)"


# Text both layers write: the static check ("f() uses torch.softmax, which this assignment asks you to implement
# yourself") and the runtime record ("f() ran a forbidden routine: it ran aten::_softmax, the kernel of torch.softmax,
# which this assignment asks you to implement yourself"). A look-up the static check may come to flag as dynamic
# ("which hides what it calls") has no common text: those cases assert the 0 only.
YOURSELF = ("which this assignment asks you to implement yourself",)
SAME_TEXT = ("child: compiles the UTF-8 text the static check parsed, never the file's bytes (a str's coding line is ignored), "
             "so the escaped line stays a comment")


def _hostile(name: str, summary: str, defence: str, attacked: tuple[str, ...], **more) -> Case:
    outcome = "loses" if "loses" in more else "zero"
    more.setdefault(outcome, attacked)
    return Case(name, "hostile", summary, defence, full=more.pop("full", rest(*attacked)), file=f"{name}.py", **more)


def _broken(name: str, summary: str, message: str, *, defence: str = STAGING, **more) -> Case:
    if "zero" not in more and "loses" not in more:
        more["zero"] = ALL
    if more.get("zero") == ALL:
        more.setdefault("where", "output")
    return Case(name, "broken", summary, defence, messages=(message,) if message else (), **more)


IMPORTED = "child: the import runs under `except BaseException`; its error (with the line) becomes the submission's problem"
FEEDBACK = "the check's feedback names the problem; the other functions are graded as usual"


HOSTILE = [
    # ---------------------------------------------------------------- early exits
    _hostile("h_exit_import_sys_exit", "Calls sys.exit(0) while being imported, hoping a clean exit reads as success.",
             "child: the import runs under `except BaseException`; the reason becomes the submission's problem", ALL,
             full=(), messages=("softmax.py failed to import: SystemExit",), where="output"),
    _hostile("h_exit_import_os_exit", "Calls os._exit(0) while being imported: the process vanishes without an exception.",
             "zygote: reaps the child and reports its exit status; the grader fails every check with it", ALL,
             full=(), messages=("the submission's process exited during importing the submission (exit status 0)",), where="output"),
    _hostile("h_exit_function_sys_exit", "softmax() calls sys.exit(0) in the middle of a graded call.",
             "child: every call runs under `except BaseException`", ("softmax",), messages=("softmax() raised SystemExit",)),
    _hostile("h_exit_function_os_exit", "cross_entropy() calls os._exit(0): the graded process dies in the middle of a call.",
             "zygote reports the child's death; the check fails and the next request forks a fresh child", ("cross_entropy",),
             messages=("the submission's process exited during cross_entropy() (exit status 0)",)),
    _hostile("h_atexit_fake_results",
             "Registers atexit handlers that print and write a perfect results.json; accuracy() just returns 1.0.",
             "child ends with os._exit (atexit never runs), its stdout is /dev/null, results are written by the grader only",
             ("accuracy",), loses=("accuracy",), failed=(MATCHES["accuracy"],), absent=("FAKE-RESULT",)),
    _hostile("h_signal_handler_exit", "cross_entropy() arms SIGALRM with a handler that calls os._exit(3) mid-call.",
             "zygote reports the child's death; the check fails", ("cross_entropy",),
             messages=("exited during cross_entropy() (exit status 3)",)),
    _hostile("h_sleep_forever_ignoring_signals",
             "Ignores and blocks every catchable signal at import; accuracy() then sleeps forever.",
             "wall-clock deadline per check in the grader, then SIGKILL of the whole sandbox (not catchable); fresh zygote",
             ("accuracy",), messages=("took longer than its time limit",)),
    # ---------------------------------------------------------------- fake output and results
    _hostile("h_fake_output", "Prints fake pass lines and a fake results JSON to stdout and stderr; softmax() returns ones.",
             "child's fds 0-2 are /dev/null; only framed replies on a private pipe are read", ("softmax",),
             loses=("softmax",), failed=(MATCHES["softmax"],), absent=("FAKE-OUTPUT",)),
    _hostile("h_write_result_files",
             "softmax() overwrites every results.json it can guess or find (../, /autograder/results, OUT) with a perfect score.",
             SANDBOX + ": no grader path is mounted; OUT is written by the grader only", ("softmax",),
             loses=("softmax",), failed=(MATCHES["softmax"],), absent=("FAKE-RESULT",)),
    # ---------------------------------------------------------------- patched comparisons and lying values
    _hostile("h_patch_torch_comparisons",
             "Patches torch.allclose, torch.equal, torch.isclose and torch.testing.assert_close to always agree; softmax() returns zeros.",
             PARENT, ("softmax",), loses=("softmax",), failed=(MATCHES["softmax"],)),
    _hostile("h_patch_test_frameworks",
             "Patches unittest, pytest and the kit's own assert_close inside the sandbox to always pass; cross_entropy() returns zeros.",
             PARENT, ("cross_entropy",), loses=("cross_entropy",),
             failed=(MATCHES["cross_entropy"], "cross_entropy: is -log p of the target and >= 0")),
    _hostile("h_patch_numpy",
             "Patches numpy.allclose, isclose, array_equal and numpy.testing to always agree; accuracy() returns 0.5.",
             PARENT, ("accuracy",), loses=("accuracy",), failed=(MATCHES["accuracy"],)),
    _hostile("h_lying_object", "accuracy() returns an object whose ==, <=, >= and float() say whatever the grader hopes for.",
             WIRE, ("accuracy",), messages=("accuracy() returned an object of type Liar",)),
    _hostile("h_tensor_subclass", "softmax() returns a torch.Tensor subclass whose equality and closeness checks always succeed.",
             WIRE, ("softmax",), messages=("softmax() returned a tensor subclass (LyingTensor)",)),
    _hostile("h_float_subclass", "accuracy() returns a float subclass that is equal to everything.",
             WIRE, ("accuracy",), messages=("accuracy() returned an object of type FloatLiar",)),
    _hostile("h_instance_overrides",
             "softmax() returns zeros whose per-object detach/to/numpy/tolist/__eq__ hand out the right answer.",
             WIRE + "; it reads the storage through the unbound torch.Tensor methods", ("softmax",),
             loses=("softmax",), failed=(MATCHES["softmax"],)),
    _hostile("h_nan_output", "softmax() returns NaN everywhere, which slips through every <, > and != comparison.",
             PARENT + ": an output that is nan/inf where the reference's is finite fails the check, whatever it compares "
             "(kit.harness.Trial), so NaN cannot pass a check that compares the student with the student", ("softmax",), loses=("softmax",),
             failed=(MATCHES["softmax"], "softmax: outputs lie in [0, 1] and sum to 1 along dim",
                     "softmax: is finite for logits of +-1e4", "softmax: is invariant to adding a constant along dim")),
    # ---------------------------------------------------------------- secrets
    _hostile("h_read_solutions",
             "Looks for the reference solutions and grader.toml: import, host paths from /proc/1/cmdline, a walk of the visible filesystem.",
             SANDBOX + ": only the runtime, kit/ and the staged file are mounted", ("softmax",),
             messages=("PROBE nothing",), absent=("BEGIN SOLUTION", "20261125")),
    _hostile("h_read_grader_by_path",
             "softmax() finds the repository from its own search path (site-packages under <repo>/.venv) and reads the solutions, hidden tests, grader.toml and its parent's and PID 1's environment and root by path.",
             SANDBOX + "; in the unprivileged tier, where the paths are real, the Landlock ruleset (only the runtime, a staged "
             "copy of the helpers and the scratch folder are readable; no /proc) and, as the sandbox's user, the file modes",
             ("softmax",), messages=("PROBE nothing",), absent=("BEGIN SOLUTION", "tied_and_extreme_logits")),
    _hostile("h_read_hidden_tests", "Looks for the hidden tests: import autograder.hidden, guessed repository paths, /grader.",
             SANDBOX, ("cross_entropy",), messages=("PROBE nothing",), absent=("tied_and_extreme_logits", "wide_batches")),
    _hostile("h_read_other_students",
             "Looks for other students' submissions: a walk of the visible filesystem and every process's cwd, root and open files.",
             SANDBOX + "; the child reads only its own source, from a pipe", ("cross_entropy",),
             messages=("PROBE nothing",), absent=(HONEST_MARKER,)),
    _hostile("h_read_environment", "Reads the environment and every /proc/*/environ and cmdline for secrets.",
             "sandbox gets a fixed, minimal environment; own PID namespace", ("accuracy",),
             messages=("PROBE nothing",), absent=(SECRET_ENV[1],)),
    _hostile("h_import_solutions",
             "Tries to import the reference solution (directly, through pip's editable-install finder, through kit.catalog) and return its answers.",
             STATIC + " (runpy); behind it, " + SANDBOX + "; python -I -S: no .pth files, no editable-install hooks "
             "(tests/test_static.py runs it there)", ("softmax",),
             messages=("softmax() uses dynamic look-up (runpy)",), where="output"),
    _hostile("h_stack_and_gc",
             "softmax() walks the caller's stack frames and the garbage collector for expected values or reference functions.",
             PARENT + ": the sandboxed process never holds a reference value (the static check refuses frames and gc; "
             "graded with it reporting only, so that the walk runs)", ("softmax",), messages=("PROBE nothing",), forbidden_api="warn"),
    _hostile("h_network", "accuracy() opens TCP connections (127.0.0.1, ::1, the outside), unix sockets and DNS look-ups.",
             SANDBOX + ": empty network namespace", ("accuracy",), messages=("PROBE tcp-127.0.0.1:",),
             absent=("CONNECTED", "RESOLVED")),
    _hostile("h_hidden_inputs_leak", "softmax() records the hidden tests' inputs; accuracy() puts them into its public feedback.",
             "grading order (autograder/grade.py): every public check of every function runs first, then the hidden ones "
             "in a fresh process, whose feedback is pass or fail only", ("accuracy",), spies=("softmax",), absent=("e+30",),
             messages=("HIDDEN-INPUTS  (softmax.py",)),
    # ---------------------------------------------------------------- processes, memory, disk
    _hostile("h_fork_bomb", "cross_entropy() forks in a loop, spawns a shell, posix_spawn, os.system and multiprocessing.",
             "seccomp filter in the child: fork, vfork, clone of a process and clone3 fail", ("cross_entropy",),
             messages=("fork:PermissionError",), absent=("ALLOWED",)),
    _hostile("h_x32_syscalls",
             "cross_entropy() calls fork, clone and getpid through their x32 numbers (0x40000000 + nr), which a filter that lists only x86_64 numbers lets through.",
             "seccomp filter in the child: every syscall number at or above 0x40000000 fails with EPERM (a kernel without x32 "
             "would say ENOSYS); the static check refuses its ctypes, so it is graded with that check reporting only",
             ("cross_entropy",), messages=("PROBE x32-fork:EPERM x32-clone:EPERM x32-getpid:EPERM",), absent=("ALLOWED",),
             forbidden_api="warn"),
    _hostile("h_offlist_syscalls",
             "cross_entropy() makes system calls that grading never needs: io_uring, userfaultfd, its parent's memory, a program run from memory, a new namespace, personality, ptrace on itself, the kernel log.",
             "seccomp allow-list (autograder/syscalls.toml): the calls a hostile submission tries first fail with EPERM, any other "
             "call off the list with ENOSYS; the static check refuses its ctypes, so it is graded with that check reporting only",
             ("cross_entropy",), messages=("PROBE io_uring_setup:EPERM userfaultfd:EPERM process_vm_readv:EPERM memfd_create:EPERM "
                                            "execveat:EPERM unshare:EPERM personality:EPERM ptrace:EPERM syslog:ENOSYS",),
             absent=("ALLOWED",), forbidden_api="warn"),
    _hostile("h_thread_bomb", "cross_entropy() starts threads until something stops it (up to 20000).",
             "RLIMIT_AS (thread stacks), then the wall-clock deadline", ("cross_entropy",),
             messages=("PROBE threads=",), absent=("cap of 20000",)),
    _hostile("h_memory_bomb", "accuracy() allocates 256 MB blocks until something stops it (up to 64 GB).",
             "RLIMIT_AS (memory_mb)", ("accuracy",), messages=("PROBE memory=",), absent=("cap of 64 GB",)),
    _hostile("h_memory_bomb_import", "Allocates 64 GB while being imported.", "RLIMIT_AS (memory_mb)", ALL, full=(),
             messages=("softmax.py failed to import: MemoryError",), where="output"),
    _hostile("h_disk_bomb",
             "softmax() fills /tmp, /dev/shm, / and /grader with 16 MB files (up to 192 MB each) and reports what fitted.",
             "RLIMIT_FSIZE per file; / and /dev are read-only, /tmp and /dev/shm are tmpfs of scratch_mb each", ("softmax",), messages=("over-limit:none",)),
    _hostile("h_disk_bomb_home",
             "softmax() fills its home and working folders (the scratch space, which outside bubblewrap is a plain folder on the machine's disk) with 16 MB files, up to 192 MB each.",
             "bubblewrap: the scratch tmpfs of scratch_mb; unprivileged tier: the grader watches the scratch folder's size and "
             "entries every 0.1 s and after every call, and kills the child past scratch_mb (autograder/sandbox.py "
             "ScratchWatch; a burst written and removed between two looks goes unseen)", ("softmax",),
             absent=("over-limit:/",)),
    _hostile("h_shadow_modules",
             "Writes torch.py, numpy.py, sitecustomize.py, json.py and resource.py into its working directory, /tmp and HOME.",
             "python -I -S: neither the working directory nor /tmp is on sys.path; torch is imported before the fork",
             (), full=ALL),
    _hostile("h_kill_parent_import", "Kills its parent process (the sandbox's zygote) with SIGKILL while being imported.",
             "seccomp: kill only to itself (EPERM), so the import fails; behind it the zygote is bubblewrap's PID 1, which "
             "ignores its children's signals, or, in the unprivileged tier, outside the child's Landlock domain", ALL, full=(),
             messages=("softmax.py failed to import: PermissionError",), where="output"),
    _hostile("h_kill_everything_import", "Runs kill -1 (SIGKILL to every process it may signal) while being imported.",
             "seccomp: kill only to itself (EPERM); behind it bubblewrap's PID namespace (PID 1 ignores it) or, in the "
             "unprivileged tier, the child's Landlock domain", ALL, full=(),
             messages=("softmax.py failed to import: PermissionError",), where="output"),
    # ---------------------------------------------------------------- inputs, caches, frames
    _hostile("h_mutate_inputs",
             "cross_entropy() wipes its inputs after computing; accuracy() sets target to the argmax so a late reference would say 1.0.",
             "each call gets a private copy; references use the grader's own copy; 'leaves its inputs unchanged' check",
             ("cross_entropy", "accuracy"), loses=("cross_entropy", "accuracy"),
             failed=("cross_entropy: leaves its inputs unchanged", MATCHES["accuracy"], "accuracy: leaves its inputs unchanged")),
    _hostile("h_cache_by_shape",
             "softmax() answers from a cache keyed by shape: right for the first input of each shape, replayed for the rest.",
             PARENT, ("softmax",), loses=("softmax",)),
    _hostile("h_huge_tensor", "accuracy() returns a 2 GB tensor once, then a list too long for the reply frame.",
             WIRE + ": 256 MB payload, 1 MB header; RLIMIT_AS", ("accuracy",), messages=("accuracy() the result is too large",)),
    _hostile("h_oversized_frame",
             "accuracy() returns a 100 MB tensor: within the sandbox's encoder limit, over the grader's per-reply cap.",
             "grader reads at most frame_mb (64 MB) per reply, then has the zygote kill the child", ("accuracy",),
             messages=("the reply of accuracy() is larger than 64 MB",)),
    _hostile("h_deep_nesting", "softmax() returns its answer wrapped in 100 nested lists.", WIRE, ("softmax",),
             messages=("softmax() the result is nested too deeply",)),
    _hostile("h_dict_with_non_str_keys",
             "cross_entropy() returns a dict with an int key and a key that mimics the wire format's tags.", WIRE,
             ("cross_entropy",), messages=("cross_entropy() dict keys must be strings",)),
    # ---------------------------------------------------------------- forbidden routines
    _hostile("h_forbidden_direct", "softmax() calls torch.softmax outright.", STATIC, ("softmax",),
             messages=("softmax() uses torch.softmax",), where="output"),
    _hostile("h_forbidden_getattr_concat", "softmax() calls getattr(torch, 'soft' + 'max').", STATIC, ("softmax",),
             messages=("softmax() uses dynamic look-up (getattr with a computed name)",), where="output"),
    _hostile("h_forbidden_dunder_import", "softmax() calls __import__('torch').softmax.", STATIC, ("softmax",),
             messages=("dynamic look-up (__import__)",), where="output"),
    _hostile("h_forbidden_importlib", "cross_entropy() gets F.cross_entropy through importlib.import_module.", STATIC,
             ("cross_entropy",), messages=("cross_entropy() uses dynamic look-up (importlib)",), where="output"),
    _hostile("h_forbidden_aten_op", "softmax() calls the ATen kernel torch.ops.aten._softmax directly.", STATIC, ("softmax",),
             messages=("softmax() uses torch.ops.aten._softmax",), where="output"),
    _hostile("h_forbidden_internal_paths",
             "softmax() via torch._C._VariableFunctions; cross_entropy() via torch.nn.modules.loss.NLLLoss.", STATIC,
             ("softmax", "cross_entropy"), where="output",
             messages=("softmax() uses torch._C._VariableFunctions.softmax", "cross_entropy() uses torch.nn.modules.loss.NLLLoss")),
    _hostile("h_forbidden_nested_definition", "softmax() is defined under an if block, where it calls torch.softmax.", STATIC,
             ("softmax",), messages=("softmax() uses torch.softmax",), where="output"),
    _hostile("h_forbidden_module_rebinding",
             "An honest softmax() is replaced by torch.softmax after the fact through sys.modules.",
             STATIC + ": module-level code can rebind any name, so what it uses counts for every function", ALL, full=(),
             messages=("log_softmax() uses torch.Tensor.softmax, torch.softmax",), where="output"),
    _hostile("h_forbidden_decorator_rebinding",
             "A decorator on an unused helper swaps the honest softmax() for torch.softmax while the module is imported.",
             STATIC + ": decorators, defaults and class bodies run at import, so what they use counts for every function",
             ALL, full=(), messages=("accuracy() uses torch.softmax, which this assignment asks you to implement yourself; and dynamic look-up (__setattr__), which hides",), where="output"),
    _hostile("h_forbidden_star_import", "from torch import *, then cross_entropy() calls the bare name logsumexp.", STATIC,
             ("cross_entropy",), messages=("cross_entropy() uses torch.logsumexp",), where="output"),
    _hostile("h_forbidden_attrgetter", "softmax() fetches torch.softmax with operator.attrgetter and a computed name.", STATIC,
             ("softmax",), messages=("softmax() uses dynamic look-up (operator.attrgetter)",), where="output"),
    _hostile("h_forbidden_softmin", "softmax() is F.softmin(-X): softmax under a name the forbidden list does not have.",
             STATIC + ": softmin, logcumsumexp and torch.distributions are on 02's forbidden list", ("softmax",),
             messages=("softmax() uses torch.nn.functional.softmin",), where="output"),
    _hostile("h_forbidden_written_module",
             "softmax() writes a helper module that imports torch.softmax and imports it: code the static check never reads.",
             STATIC + ": an import of a module outside the standard library and the course's packages, and a change to "
             "sys.path, is flagged", ("softmax",),
             messages=("softmax() uses dynamic import (changes sys.path), import of _helper_module",), where="output"),
    # ---------------------------------------------------------------- forbidden routines, decided by what runs (issue 24)
    # Each binds the routine (or its module) in a way the static check does not resolve, or calls a private kernel
    # under another name; the kernel it dispatches is the same, and the record of the call names it.
    _hostile("h_bind_local_alias", "cross_entropy() binds torch.nn.functional to a local name and calls its cross_entropy through it.",
             runtime("F.cross_entropy runs aten::_log_softmax and aten::nll_loss_forward however it was looked up"),
             ("cross_entropy",), messages=YOURSELF),
    _hostile("h_bind_sys_modules", "cross_entropy() calls sys.modules['torch.nn.functional'].cross_entropy.",
             runtime("it runs aten::_log_softmax"), ("cross_entropy",)),
    _hostile("h_bind_annotated_assignment",
             "An annotated top-level assignment binds torch.nn.functional; cross_entropy() calls its cross_entropy.",
             runtime("it runs aten::_log_softmax"), ("cross_entropy",), messages=YOURSELF),
    _hostile("h_bind_for_target", "softmax() binds torch.nn.functional as a for-loop target and returns its softmin(-X).",
             runtime("softmin runs aten::_softmax, the kernel of torch.softmax"), ("softmax",), messages=YOURSELF),
    _hostile("h_bind_tuple_unpack", "A top-level tuple unpack binds torch.nn.functional; cross_entropy() calls its cross_entropy.",
             runtime("it runs aten::_log_softmax"), ("cross_entropy",), messages=YOURSELF),
    _hostile("h_bind_class_attribute",
             "A class attribute holds torch.nn.functional; cross_entropy() calls Library.functional.cross_entropy.",
             runtime("it runs aten::_log_softmax"), ("cross_entropy",), messages=YOURSELF),
    _hostile("h_bind_helper_returns_module",
             "A helper returns the module torch.nn.functional; cross_entropy() calls its nll_loss on log_softmax.",
             runtime("nll_loss runs aten::nll_loss_forward, the kernel of F.cross_entropy"), ("cross_entropy",),
             messages=YOURSELF),
    _hostile("h_bind_match_pattern", "softmax() binds torch.softmax with a match class pattern: case object(softmax=routine).",
             runtime("it runs aten::_softmax"), ("softmax",), messages=YOURSELF),
    _hostile("h_bind_type_hints",
             "softmax() gets torch.softmax from typing.get_type_hints of a helper annotated with the string 'torch.softmax'.",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_bind_formatter_field",
             "softmax() looks torch.softmax up with string.Formatter().get_field('0.softmax', (torch,), {}).",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_bind_ctypes", "softmax() looks torch.softmax up through ctypes: the C API's PyObject_GetAttrString.",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_bind_private_operator",
             "softmax() fetches torch.softmax with _operator.attrgetter (the C module behind operator) and a computed name.",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_bind_code_replace",
             "softmax() rewrites a helper's __code__ (co_names amax -> softmax) with __code__.replace and calls it.",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_bind_module_subclasses",
             "softmax() finds nn.Softmax among torch.nn.Module.__subclasses__() by a computed name and applies it.",
             runtime("nn.Softmax runs aten::_softmax"), ("softmax",)),
    _hostile("h_kernel_nll_loss_nd", "cross_entropy() calls the private kernel torch._C._nn.nll_loss_nd on its own log_softmax.",
             runtime("nll_loss_nd runs aten::nll_loss_forward"), ("cross_entropy",)),
    _hostile("h_kernel_special_softmax", "softmax() calls the private kernel torch._C._special.special_softmax.",
             runtime("it runs aten::_softmax"), ("softmax",)),
    _hostile("h_kernel_native_batch_norm_legit",
             "Assignment 05: batch_norm() calls the private kernel torch._native_batch_norm_legit on copies of the running statistics.",
             runtime("aten::_native_batch_norm_legit contains the forbidden aten::native_batch_norm (a name match, "
             "leading underscores aside)"), ("batch_norm",), full=("layer_norm",), install_as="norm.py", assignment="05"),
    _hostile("h_kernel_sdpa_math",
             "Assignment 08: scaled_dot_product_attention() calls the private kernel torch.ops.aten._scaled_dot_product_attention_math.",
             runtime("it runs aten::_safe_softmax, the kernel F.scaled_dot_product_attention was measured to run; "
             "multi_head_attention() (the reference's) calls it, so it runs it too and scores 0 as well"),
             ("scaled_dot_product_attention",), zero=("scaled_dot_product_attention", "multi_head_attention"),
             full=("masked_softmax", "positional_encoding"), install_as="attention.py", assignment="08"),
    _hostile("h_kernel_fused_adam",
             "Assignment 09: adam() runs torch._fused_adam_, the fused kernel behind torch.optim.Adam(fused=True), on copies of w and its state.",
             runtime("every aten::_fused_* op is forbidden where torch.optim is"), ("adam",),
             full=tuple(f for f in FUNCTIONS["09"] if f != "adam"), install_as="optim.py", assignment="09"),
    _hostile("h_capstone_nn_functional",
             "Assignment 10: forward() convolves with F.conv2d, fetched as sys.modules['torch.nn.functional'], although torch.nn is forbidden in the capstone.",
             runtime("it runs aten::convolution, the kernel of torch.conv2d; train() (the reference's) calls forward(), "
             "so it runs it too and scores 0 as well"), ("forward",), zero=("forward", "train"),
             full=("init_params", "plot_history"), install_as="capstone.py", assignment="10"),
    _hostile("h_leave_inference_mode",
             "Assignment 07: rnn_backward() leaves inference mode (torch.inference_mode(False)) and differentiates its forward pass with torch.func.vjp.",
             runtime("rnn_backward is graded with autograd=False, and the grader watches the inference-mode guard "
                     "(it was left) and autograd's saved tensors (vjp saves them to build its graph)"),
             ("rnn_backward",), full=("rnn_forward",), install_as="bptt.py", assignment="07"),
    # ---------------------------------------------------------------- what runs is what was read; what is compared holds values
    _hostile("h_coding_cookie",
             "A unicode_escape coding line makes an escaped newline in a comment code: softmax() calls torch.softmax where the static check read a stub.",
             SAME_TEXT, ("softmax",), messages=("softmax() is not implemented yet",)),
    Case("h_coding_cookie_notebook", "hostile",
         "The coding line as the first line of a notebook's solution cell: cross_entropy() calls F.cross_entropy where the static check read a stub.",
         SAME_TEXT + "; a notebook's code cells are that text too", zero=("cross_entropy",), full=rest("cross_entropy"),
         messages=("cross_entropy() is not implemented yet",), file="h_coding_cookie_notebook.ipynb.txt", install_as="softmax.ipynb"),
    _hostile("h_meta_output_without_tensor_inputs",
             "Assignment 08: positional_encoding() has no tensor inputs and returns an empty table on the meta device, which holds no values to compare.",
             PARENT + ": every output tensor must be on the inputs' device, or on the CPU for a call without tensor inputs "
             "(kit.harness.Trial.outcome); assert_close never accepts a meta tensor against values",
             ("positional_encoding",), full=FUNCTIONS["08"][:3], install_as="attention.py", assignment="08",
             messages=("returned a tensor on meta with no tensor inputs",)),
]

SEQUENCE = [
    # ---------------------------------------------------------------- replies that crash the grader
    Case("s_crash_deep_json_frame", "hostile",
         "Replaces the sandbox's encoder so that accuracy()'s reply is a JSON list nested 100000 deep.",
         WIRE + ": nesting bounded before json.loads; decode raises WireError and nothing else",
         zero=("accuracy",), full=rest("accuracy"), messages=("value nested too deeply",), file="s_crash_deep_json_frame.py",
         run="sequence"),
    Case("s_crash_meta_shape_frame", "hostile",
         "Replaces the sandbox's encoder so that accuracy()'s reply is a meta tensor of 2**78 elements.",
         WIRE + ": at most 2**40 elements per tensor, on every device",
         zero=("accuracy",), full=rest("accuracy"), messages=("tensor too large",), file="s_crash_meta_shape_frame.py",
         run="sequence"),
    Case("s_crash_inputs_frame", "hostile",
         "Replaces the sandbox's encoder so that accuracy()'s inputs-after frame is the number 5.",
         WIRE + ": the inputs frame must be (args, kwargs) (kit.harness.outcome_from_reply)",
         zero=("accuracy",), full=rest("accuracy"), messages=("malformed inputs frame",), file="s_crash_inputs_frame.py",
         run="sequence"),
    Case("s_crash_forged_status", "hostile",
         "Forges the grader's protocol on every socket it holds while being imported: a 'ready', then a {'child_exit': null} status.",
         "a socket per child: it can only garble its own replies, which the grader validates (the zygote's status "
         "comes on a control socket the child never holds)", zero=ALL, file="s_crash_forged_status.py", run="sequence",
         messages=("malformed reply",)),
    Case("s_victim_after_forged_status", "honest", "An honest student graded right after s_crash_forged_status, in the same worker.",
         "-", full=ALL, make="honest", run="sequence"),
    # ---------------------------------------------------------------- leftovers for the next student
    Case("s_plant_scratch", "hostile", "Leaves answers.txt and a torch.py in /tmp, /tmp/work, /dev/shm and HOME for the next student.",
         "zygote wipes /tmp and /dev/shm after every child; torch is already imported", full=ALL, file="s_plant_scratch.py",
         run="sequence"),
    Case("s_seek_scratch", "hostile", "The next student: looks for what s_plant_scratch left and checks which torch it imported.",
         "zygote wipes /tmp and /dev/shm after every child", zero=("accuracy",), full=rest("accuracy"),
         messages=("PROBE nothing",), file="s_seek_scratch.py", run="sequence"),
    Case("s_daemon_thread", "hostile", "Starts a daemon thread that writes a heartbeat file forever, to outlive the submission.",
         "the child ends with os._exit, which ends its threads; no new processes (seccomp)", full=ALL,
         file="s_daemon_thread.py", run="sequence"),
    Case("s_heartbeat_check", "hostile", "The next student: checks whether the previous student's heartbeat is still beating.",
         "as s_daemon_thread", zero=("accuracy",), full=rest("accuracy"), messages=("PROBE nothing",),
         file="s_heartbeat_check.py", run="sequence"),
    Case("s_plant_protected", "hostile",
         "Leaves answers in chmod 555 folders in /tmp and /dev/shm and in / itself, for the next student.",
         "/ is read-only; the wipe opens every folder up before deleting, and a scratch space left unclean restarts the zygote", full=ALL, file="s_plant_protected.py", run="sequence"),
    Case("s_seek_protected", "hostile", "The next student: reads what s_plant_protected left.", "as s_plant_protected",
         zero=("accuracy",), full=rest("accuracy"), messages=("PROBE nothing",), file="s_seek_protected.py", run="sequence"),
    Case("s_stderr_plant", "hostile",
         "Writes a note into the sandbox's stderr (/proc/1/fd/2), which the grader quotes when a sandbox dies.",
         "PID 1 is the zygote, not dumpable, its stderr /dev/null; bubblewrap's stderr is quoted only before any student code ran", full=ALL, file="s_stderr_plant.py", run="sequence"),
    Case("s_stderr_reader", "hostile",
         "The next student: kills the sandbox at import, so that its own result quotes the sandbox's stderr.",
         "seccomp refuses the kill (only to itself); the import fails, quoting nothing but its own error", zero=ALL, messages=("failed to import: PermissionError",), where="output",
         absent=("REDTEAM-STDERR-NOTE",), file="s_stderr_reader.py", run="sequence"),
    Case("s_plant_grader_module", "hostile", "Writes resource.py into /grader (sys.path[0] of every later sandboxed process).",
         "/ (and /grader in it) is remounted read-only; the zygote imports everything children need before the first fork", full=ALL, file="s_plant_grader_module.py", run="sequence"),
    Case("s_victim_after_grader_plant", "honest", "An honest student graded right after s_plant_grader_module, in the same worker.",
         "-", full=ALL, make="honest", run="sequence"),
    Case("s_zygote_memory_write", "hostile",
         "Rewrites the zygote's memory through /proc/PPID/mem so that later children skip the seccomp filter.",
         "the zygote is not dumpable (no /proc/<zygote>/mem for a capability-less child); ptrace and process_vm_* are refused by seccomp "
         "(the attack runs at import; the static check then refuses its ctypes, gc and __code__: 0 everywhere)", zero=ALL,
         messages=("dynamic look-up (ctypes)",), where="output", file="s_zygote_memory_write.py", run="sequence"),
    Case("s_fork_probe", "hostile", "The next student: tries to fork.", "seccomp filter in the child", zero=("accuracy",),
         full=rest("accuracy"), messages=("fork:PermissionError",), absent=("ALLOWED",), file="s_fork_probe.py",
         run="sequence"),
    Case("s_tamper_zygote", "hostile",
         "Changes its parent, the zygote every later student is forked from: limits, priority, CPUs, scheduler, an IPC segment and a key.",
         "seccomp: prlimit64 and sched_set* on the calling process only; setpriority, ioprio_set, SysV/POSIX IPC and keyrings refused "
         "(the attack runs at import; the static check then refuses its ctypes: 0 everywhere)", zero=ALL,
         messages=("dynamic look-up (ctypes)",), where="output", file="s_tamper_zygote.py", run="sequence"),
    Case("s_tamper_probe", "hostile", "The next student: checks whether it inherited what s_tamper_zygote did to the zygote.",
         "as s_tamper_zygote", zero=("accuracy",), full=rest("accuracy"), messages=("PROBE nothing",),
         file="s_tamper_probe.py", run="sequence"),
    Case("s_hijack_protocol", "hostile",
         "Looks for the zygote's control socket (its number in __main__, /proc/1/fd, its parent's fds) to answer for the next students.",
         "a socket per child, passed by SCM_RIGHTS; the child closes every other descriptor before student code runs, "
         "the zygote is not dumpable, and sockets cannot be reopened through /proc", full=ALL, file="s_hijack_protocol.py", run="sequence"),
    Case("s_victim_after_hijack", "honest", "An honest student graded right after s_hijack_protocol, in the same worker.",
         "-", full=ALL, make="honest", run="sequence"),
]

BROKEN = [
    _broken("b_syntax_error", "A missing colon after the def line: the file does not parse.",
            "softmax.py has a syntax error on line 6: expected ':'", file="b_syntax_error.py.txt"),
    _broken("b_indentation_error", "Mixed indentation: a line indented with a tab among lines indented with spaces.",
            "softmax.py has a syntax error on line 8: inconsistent use of tabs and spaces in indentation",
            file="b_indentation_error.py.txt"),
    _broken("b_null_bytes", "A NUL byte in the middle of the file (a botched copy from a binary editor).",
            "softmax.py cannot be parsed: source code string cannot contain null bytes", file="b_null_bytes.py.bin"),
    _broken("b_not_utf8", "Saved as Latin-1: the comment below holds the byte 0xE9 (an e with an accent).",
            "softmax.py is not UTF-8 text (byte", file="b_not_utf8.py.bin"),
    _broken("b_utf8_bom", "Saved by a Windows editor with a UTF-8 byte-order mark: valid Python, graded as usual.", "",
            file="b_utf8_bom.py.bin", zero=(), full=ALL, defence=STAGING),
    _broken("b_empty", "An empty softmax.py.", "softmax.py is empty", make="empty"),
    _broken("b_whitespace_only", "A softmax.py of blank lines and spaces.", "softmax.py is empty", make="whitespace"),
    _broken("b_symlink", "softmax.py is a symbolic link to the repository's reference solution.",
            "softmax.py is a symbolic link; submit the file itself", make="symlink"),
    _broken("b_too_large", "The reference solution padded with comments to 600 KB (the limit is 512 KB).",
            "softmax.py is larger than 512 KB", make="too_large"),
    _broken("b_directory", "softmax.py is a directory.", "softmax.py cannot be read (not a regular file)", make="directory"),
    _broken("b_fifo", "softmax.py is a named pipe (reading it would block forever).",
            "softmax.py cannot be read (not a regular file)", make="fifo"),
    _broken("b_wrong_assignment", "Assignment 03's mlp.py handed in in place of softmax.py.",
            "softmax.py not found in the submission (found mlp.py: is this the right assignment?)",
            make="copy:solutions/mlp.py", install_as="mlp.py"),
    _broken("b_no_submission", "A folder holding only a README.", "softmax.py not found in the submission", make="readme_only"),
    _broken("b_notebook_truncated", "A notebook cut short in the middle of its JSON (an interrupted upload).",
            "softmax.ipynb is not a readable notebook (NotJSONError)", file="b_notebook_truncated.ipynb.txt",
            install_as="softmax.ipynb"),
    _broken("b_notebook_invalid", "A notebook that is valid JSON but not a valid notebook: its code cell has no metadata.",
            "softmax.ipynb is not a readable notebook (ValidationError)", file="b_notebook_invalid.ipynb.txt",
            install_as="softmax.ipynb"),
    _broken("b_notebook_syntax_error", "A valid notebook whose code cell has a syntax error.",
            "softmax.ipynb (its code cells) has a syntax error on line 3: expected ':'",
            file="b_notebook_syntax_error.ipynb.txt", install_as="softmax.ipynb"),
    _broken("b_import_error", "Imports a package that is not installed (a helper library from the student's own machine).",
            "softmax.py failed to import: ModuleNotFoundError: No module named 'redteam_not_installed_helpers'",
            file="b_import_error.py", defence=IMPORTED),
    _broken("b_import_sibling_module",
            "Imports a helper module the student put next to softmax.py (other files are never executed).",
            "softmax.py failed to import: ModuleNotFoundError: No module named 'softmax_helpers'", file="b_import_sibling_module.py",
            extra=(("b_import_sibling_module.helpers.py", "softmax_helpers.py"),), defence=IMPORTED),
    _broken("b_runtime_error_at_import", "Divides by zero at module level while being imported.",
            "softmax.py failed to import: ZeroDivisionError: division by zero (softmax.py, line 5)",
            file="b_runtime_error_at_import.py", defence=IMPORTED),
    _broken("b_stub", "The untouched stub: every function raises NotImplementedError.", "is not implemented yet",
            make="copy:assignments/02/softmax.py", where="tests", defence=FEEDBACK),
    _broken("b_missing_functions", "Defines softmax() and log_softmax() only: cross_entropy() and accuracy() are missing.",
            "softmax.py defines no function cross_entropy()", file="b_missing_functions.py",
            zero=("cross_entropy", "accuracy"), full=("softmax", "log_softmax"), defence=FEEDBACK),
    _broken("b_wrong_signature", "cross_entropy() has no reduction parameter and accuracy() takes a single argument.",
            "cross_entropy() got an unexpected keyword argument 'reduction'", file="b_wrong_signature.py",
            zero=("cross_entropy", "accuracy"), full=("softmax", "log_softmax"), defence=FEEDBACK),
    _broken("b_wrong_return_types", "softmax() returns a nested Python list and accuracy() a 0-dim tensor instead of a float.",
            "output: expected a Python float, got Tensor (use .item())", file="b_wrong_return_types.py",
            loses=("softmax", "accuracy"), full=("log_softmax", "cross_entropy"), defence=FEEDBACK),
    _broken("b_wrong_shape", "log_softmax() forgets keepdim=True and returns one value per slice instead of X's shape.",
            "output: expected shape (", file="b_wrong_shape.py", loses=("log_softmax",), full=rest("log_softmax"), defence=FEEDBACK),
    _broken("b_wrong_dtype", "softmax() computes in float64 and returns float64 whatever the input's dtype.",
            "output: expected dtype torch.float32, got torch.float64", file="b_wrong_dtype.py", loses=("softmax",),
            full=rest("softmax"), defence=FEEDBACK),
    _broken("b_returns_none", "log_softmax() computes its result and forgets to return it.",
            "output: expected a tensor, got NoneType", file="b_returns_none.py", loses=("log_softmax",), full=rest("log_softmax"), defence=FEEDBACK),
    _broken("b_returns_numpy", "softmax() converts to numpy and returns a numpy array.",
            "softmax() returned an object of type ndarray, which is not a tensor", file="b_returns_numpy.py",
            zero=("softmax",), full=rest("softmax"), defence=WIRE),
    _broken("b_infinite_recursion", "softmax() calls itself instead of torch's exp: infinite recursion.",
            "RecursionError: maximum recursion depth exceeded", file="b_infinite_recursion.py", zero=("softmax",),
            full=rest("softmax"), defence=FEEDBACK),
]

HONEST = [  # graded in the batch among the hostile ones: each must keep full marks
    Case(name, "honest", "The reference solution, with a marker comment that must never leak.", "-", full=ALL, make="honest")
    for name in ("a_honest_first", "c_honest_after_broken", "i_honest_after_hostile")
] + [
    Case("n_honest_notebook", "honest", "The reference solution as an nbgrader-style notebook.", "-", full=ALL,
         make="honest_notebook", install_as="softmax.ipynb"),
]

CASES = HOSTILE + BROKEN + SEQUENCE + HONEST


DOC_INTRO = """# Red-team catalogue (assignment 02)

Generated from `tests/redteam/catalogue.py`: edit the catalogue, then run
`.venv/bin/python tests/redteam/catalogue.py > docs/redteam.md` (a test checks they agree).

`tests/redteam/` holds hostile and broken submissions of assignment 02 (`softmax.py`), and
the odd one of another assignment where 02 has nothing to attack or the weakness is that
assignment's own (its summary names it):
`cases/` has one tiny module per case (its first line, a docstring, says what it tries;
a coding line may come first;
files that cannot be valid Python are stored as `.py.txt`, `.py.bin` or `.ipynb.txt` and
copied into place by the test; empty files, symlinks, pipes, oversized files are made by the
test), and `catalogue.py` has one record per case: which graded functions must score 0, which
must keep full marks, which must lose points, what the student must be told and what must
never appear in a result. `tests/test_redteam.py` grades them all with the real grader in the
real sandbox and asserts one record per case:

```
.venv/bin/python -m pytest tests/test_redteam.py -q
```

Every case is graded twice, once in each sandbox tier, with the same expectations (the
unprivileged tier's run is skipped, saying why, on a machine where it cannot start):

* **bubblewrap** (where user namespaces work): the child's own mount, PID, network, IPC,
  UTS and user namespaces; it sees only the runtime, `kit/` and a scratch tmpfs.
* **unprivileged** (`grade --sandbox unprivileged`, chosen automatically where bubblewrap
  cannot start, as in Gradescope's Docker containers): no namespaces, so the kernel's own
  walls. The zygote runs as the user `kit-sandbox` (made by `setup.sh` and the Gradescope
  bundle's set-up; else `nobody`) where the grader is root and that user can read the Python
  runtime; under a Landlock ruleset (Linux 5.13+) that lets it read only the runtime and a
  staged copy of the helpers and write only its scratch folder, with TCP denied (Landlock
  ABI 4) and each child in a domain of its own that cannot signal or reach an abstract
  socket of any other process, its zygote and the other workers included (ABI 6); with
  `no_new_privs`, the same rlimits and the same seccomp allow-list, which refuses new
  sockets in either tier. The solutions, hidden tests and `grader.toml` closed to the
  sandbox's user by their file modes are a second wall (the Gradescope set-up closes them).
  Each result records the tier (`extra_data.sandbox_tier`) and, here, which of these parts
  the machine allowed (`extra_data.sandbox_parts`): a kernel without Landlock keeps the
  user, file modes, rlimits and seccomp; a grader that is not root, or whose runtime the
  sandbox's user cannot read (a Python under `/root`), keeps Landlock, rlimits and seccomp.
  Its scratch folder is a plain folder on the machine's disk, not a tmpfs of its own: the
  grader looks at its size and number of entries every 0.1 s and kills the child past
  `scratch_mb` or 10,000 entries (so a fast disk may take a little more before the kill).
  What it does not give: a PID namespace (`/proc` is not readable, but pids are the
  machine's). The seccomp filter lets a child signal itself only, in both tiers.

* **batch** cases are graded in one `grade_all` run with two workers, with honest students
  mixed in (they must keep full marks); those of another assignment in one run of their own;
* **sequence** cases are graded one after another in a single worker, in catalogue order,
  because they attack the next student of the same worker (one zygote serves many students).

A hostile case is the reference solution except for the function(s) it attacks (a test checks
this on the syntax tree), so it must earn exactly what its honest parts earn. An attack that
returns a wrong but well-formed value can never score exactly 0: the form checks ("leaves its
inputs unchanged", "works on any device") pass for any non-mutating function of the right
shape, so such cases assert that the function *loses* points and that its value checks fail.

A case marked **hole** is defeated by a real weakness today: its test is a strict xfail (it
fails now and will XPASS, which fails the run, once the weakness is fixed: then remove its
`hole`). What each hole is and how to fix it follows the table.

## Defences

| layer | where | what it does |
|---|---|---|
| staging | `autograder/submissions.py` | reads only `<module>.py` (or the notebook), refuses symlinks, non-regular files, files over `submission_kb`, non-UTF-8 and unparsable code, with a message |
| static check | `autograder/static.py` | forbidden routines by name, alias, internal entry point and dynamic look-up; imports of code it cannot read (modules outside the standard library and the course's packages, changes to `sys.path`) |
| runtime record | `kit/dispatch.py`, `kit/forbidden.py` | in the sandboxed child, once the module is imported, the kernels of the forbidden routines' ops (`kit/forbidden_ops.json`, measured from the routines themselves) are replaced on every backend by a tripwire that notes the op and raises; a function graded without autograd is watched through autograd's saved-tensor hook and the inference-mode guard; a sentinel kernel per library shows that the tripwires still stand. A call that reached a forbidden kernel, used autograd where it must not, or broke its record scores its function 0, however the routine was reached. The students' pytest and the efficiency check record every op with a `TorchDispatchMode` instead |
| sandbox | `autograder/sandbox.py` | bubblewrap: new mount, PID, network, IPC, UTS and user namespaces, all capabilities dropped; only the runtime, `kit/` and a scratch tmpfs are visible; `/` and `/dev` read-only |
| sandbox, unprivileged tier | `autograder/sandbox.py`, `autograder/child.py` | where bubblewrap cannot start: a user of its own, `no_new_privs`, Landlock (read the runtime and the helpers, write the scratch folder, no TCP, signals and abstract sockets scoped to each child) |
| seccomp | `autograder/seccomp.py`, `autograder/syscalls.toml` | an allow-list measured from grading every assignment (`python -m autograder.seccomp measure`); off it, ENOSYS, and EPERM for what a hostile child tries first: fork, vfork, clone of a process, ptrace, process_vm_readv/writev, sockets, io_uring, userfaultfd, execve(at), memfd_create, unshare, personality; no syscall number at or above 0x40000000 (x32) |
| rlimits | `autograder/sandbox.py` | address space, CPU time, file size, open files |
| wall clock | `autograder/sandbox.py` | a deadline per check; past it the zygote SIGKILLs the child (the zygote itself, and a fresh one started, if it does not answer) |
| wire validation | `kit/wire.py` | only plain tensors, numbers, strings, lists, tuples and str-keyed dicts cross; sizes, depth and shapes checked at both ends; the grader caps a reply at `frame_mb` |
| parent-side comparison | `kit/harness.py`, `kit/checks.py` | references are computed in the grader, on its own copy of the inputs, and compared there; an output that is nan/inf where the reference's is finite fails; output tensors must be on the inputs' device (the CPU for a call without tensor inputs), and a meta tensor never passes a comparison of values |
| grading order | `autograder/grade.py` | every public check before any hidden one, the hidden ones in a fresh process; an error the grader did not expect fails one check, not the submission |
| fresh process | `autograder/child.py` | one forked child per submission with its own socket; the zygote (PID 1, not dumpable) kills and reaps it, then wipes the scratch space, restarting if anything is left; it compiles the text the static check parsed, never the file's bytes under a coding line of their own |

## Cases

"""

def markdown_table() -> str:
    """docs/redteam.md's table: every case, what it tries, what stops it, and its status."""
    rows = ["| case | kind | run | what it tries | what stops it | status |", "|---|---|---|---|---|---|"]
    for case in CASES:
        status = "**hole** (xfail)" if case.hole else "defended"
        cell = [case.name, case.kind, case.run, case.summary, case.defence, status]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cell) + " |")
    return "\n".join(rows) + "\n"


def render_docs() -> str:
    holes = [f"### {case.name}\n\n{case.hole}\n" for case in CASES if case.hole]
    return DOC_INTRO + markdown_table() + "\n## Holes\n\n" + "\n".join(holes)


if __name__ == "__main__":
    print(render_docs(), end="")
