"""The static forbidden-API check (autograder/static.py): each rule, what it must catch and what it must leave alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from autograder import sandbox
from autograder.static import forbidden_uses
from kit.calls import Call
from kit.catalog import ASSIGNMENTS, SOLUTIONS, assignment_ids, load_assignment

SOFTMAX = load_assignment("02")
FUNCTIONS = [f.name for f in SOFTMAX.functions]
CASES = Path(__file__).parent / "redteam" / "cases"
HONEST = "def accuracy(logits, target):\n    return (logits.argmax(dim=1) == target).double().mean().item()\n"
UNKNOWN = "(neither the standard library nor a course package)"


def uses(source: str, functions=("softmax",), forbidden=SOFTMAX.forbidden, local=("softmax",)) -> dict[str, list[str]]:
    return forbidden_uses(source, forbidden, functions, local_modules=local)


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_solutions_and_stubs_are_never_flagged(assignment_id):
    assignment = load_assignment(assignment_id)
    names = [f.name for f in assignment.functions]
    for path in (SOLUTIONS / f"{assignment.module}.py", ASSIGNMENTS / assignment_id / f"{assignment.module}.py"):
        assert forbidden_uses(path.read_text(), assignment.forbidden, names, local_modules=(assignment.module,)) == {}, path


# ---------------------------------------------------------------- 02: softmax under other names


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import torch.nn.functional as F\ndef softmax(X, dim=-1):\n    return F.softmin(-X, dim)\n", "torch.nn.functional.softmin"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.nn.Softmin(dim)(-X)\n", "torch.nn.Softmin"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.logcumsumexp(X, dim)\n", "torch.logcumsumexp"),
        ("def softmax(X, dim=-1):\n    return X.logcumsumexp(dim)\n", "torch.Tensor.logcumsumexp"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.distributions.Categorical(logits=X).probs\n",
         "torch.distributions.Categorical"),
        ("from torch.distributions import Categorical\ndef softmax(X, dim=-1):\n    return Categorical(logits=X).probs\n",
         "torch.distributions.Categorical"),
        ("from sklearn.utils.extmath import softmax as sm\ndef softmax(X, dim=-1):\n    return sm(X.numpy())\n",
         "sklearn.utils.extmath.softmax"),
    ],
)
def test_softmax_under_another_name_is_forbidden_in_02(body, expected):
    assert expected in uses(body)["softmax"]


def test_the_softmin_case_is_caught():
    found = forbidden_uses((CASES / "h_forbidden_softmin.py").read_text(), SOFTMAX.forbidden, FUNCTIONS)
    assert found == {"softmax": ["torch.nn.functional.softmin"]}


# ---------------------------------------------------------------- imports of code the check cannot read


def test_the_written_module_case_is_caught():
    found = forbidden_uses((CASES / "h_forbidden_written_module.py").read_text(), SOFTMAX.forbidden, FUNCTIONS, local_modules=("softmax",))
    assert found == {"softmax": ["dynamic import (changes sys.path)", f"import of _helper_module {UNKNOWN}"]}


def test_an_unknown_module_imported_inside_a_function_counts_for_that_function():
    source = "import torch\ndef softmax(X, dim=-1):\n    from _helper_module import f\n    return f(X, dim)\n" + HONEST
    assert uses(source, ("softmax", "accuracy")) == {"softmax": [f"import of _helper_module {UNKNOWN}"]}


@pytest.mark.parametrize("statement", ["import helper", "import helper.sub as h", "from helper import f", "from helper.sub import *"])
def test_an_unknown_module_imported_at_module_level_counts_for_every_function(statement):
    found = uses(statement + "\n" + HONEST, ("softmax", "accuracy"))
    assert found == {name: [f"import of helper {UNKNOWN}"] for name in ("softmax", "accuracy")}


@pytest.mark.parametrize("statement", ["from . import helper", "from .helper import f", "from .. import f"])
def test_a_relative_import_is_flagged(statement):
    found = uses(f"def softmax(X, dim=-1):\n    {statement}\n    return X\n")
    assert [u for u in found["softmax"] if u.startswith("relative import")]


@pytest.mark.parametrize(
    "statement",
    [
        "import math, json, collections.abc", "from __future__ import annotations", "import torch.nn.functional as F",
        "import numpy as np", "import matplotlib.pyplot as plt", "from datasets import digits_tensors", "import kit.wire",
        "import hypothesis", "import softmax",  # the submission's own module
    ],
)
def test_the_standard_library_course_packages_and_own_modules_are_allowed(statement):
    assert uses(statement + "\n" + HONEST, ("accuracy",)) == {}


def test_the_submissions_own_sibling_modules_are_allowed_when_named():
    source = "import softmax_helpers\n" + HONEST
    assert uses(source, ("accuracy",), local=("softmax", "softmax_helpers")) == {}
    assert uses(source, ("accuracy",)) == {"accuracy": [f"import of softmax_helpers {UNKNOWN}"]}


def test_imports_under_the_main_guard_are_not_flagged():
    assert uses(HONEST + "if __name__ == '__main__':\n    import helper\n", ("accuracy",)) == {}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import runpy\ndef softmax(X, dim=-1):\n    return runpy.run_path('/tmp/h.py')['f'](X)\n", "dynamic look-up (runpy)"),
        ("from runpy import run_module\ndef softmax(X, dim=-1):\n    return run_module('h')['f'](X)\n", "dynamic look-up (runpy)"),
        ("import imp\ndef softmax(X, dim=-1):\n    return imp.load_source('h', '/tmp/h.py').f(X)\n", "dynamic look-up (imp)"),
        ("import pydoc\ndef softmax(X, dim=-1):\n    return pydoc.locate('torch.' + 'soft' + 'max')(X, dim)\n", "dynamic look-up (pydoc)"),
        ("from pydoc import locate\ndef softmax(X, dim=-1):\n    return locate('torch.softmax')(X, dim)\n", "dynamic look-up (pydoc)"),
        ("import pkgutil\ndef softmax(X, dim=-1):\n    return pkgutil.resolve_name('torch:softmax')(X, dim)\n", "dynamic look-up (pkgutil)"),
        ("import importlib.util\ndef softmax(X, dim=-1):\n    return importlib.util.find_spec('h')\n", "dynamic look-up (importlib)"),
        ("import inspect, torch\ndef softmax(X, dim=-1):\n    return dict(inspect.getmembers(torch))['soft' + 'max'](X, dim)\n",
         "dynamic look-up (inspect.getmembers)"),
        ("def softmax(X, dim=-1):\n    return __import__('h').f(X)\n", "dynamic look-up (__import__)"),
        ("def softmax(X, dim=-1):\n    exec(open('/tmp/h.py').read())\n    return X\n", "dynamic look-up (exec)"),
        ("def softmax(X, dim=-1):\n    return eval(compile('X', 'h', 'eval'))\n", "dynamic look-up (compile)"),
    ],
)
def test_import_machinery_is_flagged(body, expected):
    assert expected in uses(body)["softmax"]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("sys.path.insert(0, '/tmp')", "sys.path"),
        ("sys.path.append('/tmp')", "sys.path"),
        ("sys.path.extend(['/tmp'])", "sys.path"),
        ("sys.path += ['/tmp']", "sys.path"),
        ("sys.path = ['/tmp'] + sys.path", "sys.path"),
        ("sys.path[0] = '/tmp'", "sys.path"),
        ("del sys.path[0]", "sys.path"),
        ("paths = sys.path; paths.insert(0, '/tmp')", "sys.path"),
        ("list.insert(sys.path, 0, '/tmp')", "sys.path"),
        ("sys.meta_path.insert(0, object())", "sys.meta_path"),
        ("sys.path_hooks.append(object())", "sys.path_hooks"),
        ("sys.path_importer_cache.clear()", "sys.path_importer_cache"),
    ],
)
def test_changing_where_python_finds_modules_is_flagged(statement, expected):
    assert uses(f"import sys\ndef softmax(X, dim=-1):\n    {statement}\n    return X\n") == {"softmax": [f"dynamic import (changes {expected})"]}


def test_changing_sys_path_through_an_alias_is_flagged():
    assert uses("from sys import path\ndef softmax(X, dim=-1):\n    path.insert(0, '/tmp')\n    return X\n") == {
        "softmax": ["dynamic import (changes sys.path)"]
    }
    assert uses("import sys\nP = sys.path\ndef softmax(X, dim=-1):\n    P.append('/tmp')\n    return X\n")["softmax"] == [
        "dynamic import (changes sys.path)"
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "os.path.join(sys.path[0], 'x')", "'/tmp' in sys.path", "[p for p in sys.path]", "len(sys.path)", "[*sys.path[1:]]",
        "sys.path.index('/tmp')", "sorted(sys.path)",
    ],
)
def test_reading_sys_path_is_not_flagged(statement):
    assert uses(f"import os, sys\ndef softmax(X, dim=-1):\n    {statement}\n    return X\n") == {}


def test_the_honest_and_sandbox_red_team_cases_are_not_flagged():
    """Cases that the sandbox, not the static check, must stop keep being graded (their probes must run)."""
    for name in ("h_read_solutions", "h_read_hidden_tests", "h_read_other_students", "h_shadow_modules", "h_patch_test_frameworks",
                 "s_crash_deep_json_frame", "s_plant_grader_module", "s_zygote_memory_write"):
        source = (CASES / f"{name}.py").read_text()
        assert forbidden_uses(source, SOFTMAX.forbidden, FUNCTIONS, local_modules=("softmax",)) == {}, name


# ---------------------------------------------------------------- behind the static check


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_sandbox_hides_the_solutions_from_every_import_route():
    """h_import_solutions (runpy) now scores 0 from the static check before it runs; run it in the sandbox anyway,
    so that the sandbox's own defence (no solutions mounted, python -I -S: no editable-install hooks) stays tested."""
    runner = sandbox.SandboxRunner("softmax", (CASES / "h_import_solutions.py").read_text(), sandbox.Limits(call_seconds=10))
    try:
        assert runner.start() is None
        runner.budget(10)
        outcome = runner.run("softmax", Call((torch.zeros(2, 3),), {}, seed=0), "cpu")
    finally:
        runner.close()
    assert outcome.error is not None and "PROBE nothing" in outcome.error, outcome


COOKIE = (
    "# -*- coding: unicode_escape -*-\n"
    "import torch\n\n\n"
    "def which(x):\n"
    "    # \\n    return torch.softmax(x, 0)\n"
    "    return 'visible'\n\n\n"
    "def stub(x):\n"
    "    # \\n\\n\\n\n"
    "    raise NotImplementedError\n"
)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_child_runs_the_text_the_static_check_read_whatever_its_coding_declaration():
    """A unicode_escape coding line turns a comment's \\n into code when the bytes are imported; the child compiles
    the decoded text instead, so what runs is what the static check parsed (and tracebacks quote those same lines)."""
    assert uses(COOKIE, functions=("which",)) == {}  # the static check sees a comment
    runner = sandbox.SandboxRunner("softmax", COOKIE, sandbox.Limits(call_seconds=10))
    try:
        assert runner.start() is None
        runner.budget(10)
        assert runner.run("which", Call((torch.zeros(3),), {}, seed=0), "cpu").output == "visible"
        stub = runner.run("stub", Call((torch.zeros(3),), {}, seed=0), "cpu")
        assert stub.not_implemented, stub  # the `raise` line is found where the code object says it is
    finally:
        runner.close()


def test_the_students_reason_names_forbidden_routines_and_hidden_code_apart():
    from autograder.static import explain

    assert explain("softmax", ["torch.softmax"], "0 points") == (
        "softmax() uses torch.softmax, which this assignment asks you to implement yourself: 0 points"
    )
    both = explain("softmax", ["import of helper (neither the standard library nor a course package)", "torch.exp"], "0 points")
    assert both.startswith("softmax() uses torch.exp, which this assignment asks you to implement yourself; and import of helper")
    assert "hides what it calls" in both
