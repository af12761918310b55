"""Forbidden routines decided by what runs (kit.dispatch, kit.forbidden): the record, the table, the verdict.

The red-team catalogue grades the bypasses end to end through the sandbox; here are the
pieces: what a call records, how a record is judged, and that the stored table is the
one the kit measures today.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import types

import pytest
import torch
from redteam.catalogue import CASES

from autograder import grade
from autograder.config import Config, GraderSettings
from kit import forbidden
from kit.calls import Call
from kit.catalog import ROOT, assignment_ids, load_assignment
from kit.dispatch import Tripwires
from kit.execute import execute

TABLE_02 = forbidden.stored()["02"]
CASES_DIR = ROOT / "tests" / "redteam" / "cases"


def module(**functions) -> types.ModuleType:
    made = types.ModuleType("submission")
    for name, fn in functions.items():
        setattr(made, name, fn)
    return made


def record(fn, *args, autograd: bool = True) -> dict:
    return execute(module(f=fn), "f", Call(args), "cpu", autograd=autograd).record


def test_a_call_records_the_kernels_it_dispatched_under_any_name():
    X = torch.randn(3, 4)
    alias = torch.softmax
    assert "aten::_softmax" in record(lambda X: alias(X, -1), X)["ops"]
    assert "aten::_softmax" in record(lambda X: torch._C._special.special_softmax(X, -1), X)["ops"]
    assert "aten::_softmax" not in record(lambda X: X.exp() / X.exp().sum(-1, keepdim=True), X)["ops"]



@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_a_compiled_call_records_what_it_runs(backend):
    """The recorder lets dynamo trace into it (kit.dispatch: `_should_skip_dynamo`): what a compiled graph runs is recorded all the same."""
    compiled = torch.compile(lambda X: torch.softmax(X, -1), backend=backend)
    assert "aten::_softmax" in record(compiled, torch.randn(3, 4))["ops"]


@pytest.fixture
def tripwires_02():
    """The sandboxed child's tripwires for assignment 02, here for one test (kit.dispatch.Tripwires)."""
    wires = Tripwires(forbidden.tripwires_for(load_assignment("02")))
    yield wires
    wires.remove()


def wired(wires: Tripwires, fn, *args, autograd: bool = True):
    return execute(module(f=fn), "f", Call(args), "cpu", autograd=autograd, tripwires=wires)


def test_tripwires_catch_a_forbidden_kernel_under_any_name_and_nothing_else(tripwires_02):
    X = torch.randn(3, 4)
    alias = torch.softmax
    for bypass in (lambda X: alias(X, -1), lambda X: torch._C._special.special_softmax(X, -1), lambda X: torch.sparse.softmax(X.to_sparse(), -1)):
        reply = wired(tripwires_02, bypass, X)
        assert "TrippedForbiddenKernel" in reply.error and forbidden.violation(reply.record, TABLE_02, True), reply
    honest = wired(tripwires_02, lambda X: (X - X.amax(-1, keepdim=True)).exp(), X)
    assert honest.error is None and honest.record == {"ops": [], "left_inference_mode": False, "intact": True}
    assert forbidden.violation(honest.record, TABLE_02, True) is None


def destroys(wires: Tripwires):
    for lib in wires.libraries.values():
        lib._destroy()


def resets_the_cpp_half(wires: Tripwires):  # the Python Library object still lists its kernels afterwards
    for lib in wires.libraries.values():
        lib.m.reset()


@pytest.mark.parametrize("removes", [destroys, resets_the_cpp_half])
def test_tripwires_removed_by_the_call_break_the_record(tripwires_02, removes):
    def removes_then_calls(X):
        removes(tripwires_02)
        return torch.softmax(X, -1)

    reply = wired(tripwires_02, removes_then_calls, torch.randn(2, 3))
    assert reply.error is None and reply.record["intact"] is False and forbidden.violation(reply.record, TABLE_02, True)


def test_tripwires_see_autograd_where_a_function_must_do_without(tripwires_02):
    def vjp_outside_inference_mode(X):
        with torch.inference_mode(False):
            x = X.clone().requires_grad_()
            (x.tanh().sum()).backward()
            return x.grad

    def by_hand(X):
        return 1 - X.tanh() ** 2

    X = torch.randn(3)
    assert forbidden.violation(wired(tripwires_02, vjp_outside_inference_mode, X, autograd=False).record, {}, False)
    assert forbidden.violation(wired(tripwires_02, by_hand, X, autograd=False).record, {}, False) is None


def test_a_record_is_judged_by_the_assignments_measured_table():
    X = torch.randn(3, 4)
    assert forbidden.violation(record(lambda X: (X - X.amax(-1, keepdim=True)).exp(), X), TABLE_02, True) is None
    why = forbidden.violation(record(lambda X: torch.logsumexp(X, -1), X), TABLE_02, True)
    assert why and "aten::logsumexp" in why and "torch.logsumexp" in why


def test_private_variants_of_a_forbidden_kernel_are_the_same_kernel():
    table = forbidden.stored()["05"]
    assert forbidden.violation({"ops": ["aten::_native_batch_norm_legit"], "left_inference_mode": False, "intact": True}, table, True)
    assert forbidden.violation({"ops": ["aten::_safe_softmax"], "left_inference_mode": False, "intact": True}, TABLE_02, True)


def test_a_missing_or_broken_record_is_forbidden():
    for bad in (None, {}, {"ops": "aten::exp", "intact": True}, {"ops": [], "intact": False}, ["aten::exp"]):
        assert forbidden.violation(bad, TABLE_02, True), bad


def test_popping_the_recorder_breaks_the_record():
    from torch.utils._python_dispatch import _pop_mode

    def pops(X):
        _pop_mode()
        return torch.softmax(X, -1)

    reply = execute(module(f=pops), "f", Call((torch.randn(3),)), "cpu")
    assert reply.error is not None or reply.record["intact"] is False  # either way no check can pass on it


def test_leaving_inference_mode_is_using_autograd():
    def vjp(X):
        with torch.inference_mode(False):
            W = X.clone().requires_grad_()
            return torch.autograd.grad(W.tanh().sum(), W)[0]

    assert record(lambda X: 1 - X.tanh() ** 2, torch.randn(3), autograd=False)["left_inference_mode"] is False
    seen = record(vjp, torch.randn(3), autograd=False)
    assert forbidden.violation(seen, {}, autograd=False) and forbidden.violation(seen, {}, autograd=True) is None


def test_calls_are_recorded_where_the_table_can_judge_them():
    """Every assignment but 01, 09 (torch.optim and torch.nn lower to elementary ops there), 12 and 15 (nothing in
    PyTorch searches, scores BLEU or matches anchors; nltk, torchvision and the like are refused statically) is judged
    by what runs."""
    unjudged = ("01", "09", "12", "15")
    assert set(forbidden.stored()) == set(assignment_ids())
    judged = {i for i in assignment_ids() if all(forbidden.needs_record(f) for f in load_assignment(i).functions)}
    assert judged == set(assignment_ids()) - set(unjudged)
    assert all(not forbidden.needs_record(f) for i in unjudged for f in load_assignment(i).functions)
    rnn_backward = load_assignment("07").function("rnn_backward")
    assert not rnn_backward.autograd and forbidden.needs_record(rnn_backward)  # 07's table is empty: recorded for inference mode


def test_the_stored_table_is_what_the_kit_measures_today():
    """Measured again, half the assignments' rows in each of two processes side by side (each offers every routine
    every assignment's inputs, as the whole measurement does)."""
    ids = assignment_ids()
    halves = [",".join(ids[::2]), ",".join(ids[1::2])]
    command = [sys.executable, "-m", "kit.forbidden", "--check", "--only"]
    processes = [subprocess.Popen([*command, half], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for half in halves]
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output[-2000:]


# ---------------------------------------------------------------- the record alone, through the sandbox

# every binding and kernel bypass but h_kernel_fused_adam: 09's calls are not recorded (its fused kernels are refused statically)
RUNTIME_CASES = [
    c for c in CASES
    if (c.name.startswith(("h_bind_", "h_kernel_")) or c.name in ("h_capstone_nn_functional", "h_leave_inference_mode")) and c.assignment != "09"
]
FAST = Config(grader=GraderSettings(examples=3, hidden_examples=3))


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_record_alone_zeroes_every_binding_and_kernel_bypass_through_the_sandbox(tmp_path, monkeypatch):
    """The red-team bypasses with the static check switched off: what each call ran is what zeroes the attacked function."""
    monkeypatch.setattr(grade.static, "forbidden_uses", lambda *args, **kwargs: {})
    assert len(RUNTIME_CASES) >= 20
    for case in RUNTIME_CASES:
        folder = tmp_path / case.name
        folder.mkdir()
        shutil.copyfile(CASES_DIR / case.file, folder / f"{load_assignment(case.assignment).module}.py")
        result = grade.grade_submission(folder, grade.Job(case.assignment, FAST, shrink=False))
        scores, maximum = result.function_scores(), {t.function: 0.0 for t in result.tests}
        for t in result.tests:
            maximum[t.function] += t.max_score
        assert {f: scores[f] for f in case.zero} == dict.fromkeys(case.zero, 0.0), (case.name, result.summary())
        assert {f: scores[f] for f in case.full} == pytest.approx({f: maximum[f] for f in case.full}), (case.name, result.summary())
        assert "ran a forbidden routine" in result.summary(), (case.name, result.summary())
