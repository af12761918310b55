"""The static forbidden-API check (autograder/static.py): each rule, what it must catch and what it must leave alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from honest import HONEST as HONEST_REWRITES

from autograder import sandbox
from autograder.static import REFUSED, REFUSED_ATTRIBUTES, TOO_DEEP, explain, forbidden_uses
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


@pytest.mark.parametrize("rewrite", HONEST_REWRITES, ids=lambda m: m.id)
def test_honest_rewrites_are_never_flagged(rewrite):
    """tests/honest/: einsum, float64 inside, torch.where, helpers, loops: correct code written differently."""
    assignment = load_assignment(rewrite.assignment)
    names = [f.name for f in assignment.functions]
    assert forbidden_uses(rewrite.source(), assignment.forbidden, names, local_modules=(assignment.module,)) == {}


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


LAYERS = ("torch.nn.Conv2d", "torch.nn.ReLU", "torch.nn.MaxPool2d")  # classes whose lower-case names are allowed routines


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    return torch.nn.Conv2d(3, 3, 1)(X)", ["torch.nn.Conv2d"]),
        ("    from torch import nn\n    return nn.ReLU()(X)", ["torch.nn.ReLU"]),
        ("    import torch.nn.functional as F\n    return F.max_pool2d(F.relu(F.conv2d(X, X)), 2)", []),
        ("    return torch.relu(X).relu()", []),
        ("    return torch.ops.aten.conv2d(X, X)", ["torch.ops.aten.conv2d"]),  # an internal entry point of the class
    ],
)
def test_a_forbidden_class_leaves_the_functional_routine_of_its_name_allowed(body, expected):
    """Assignment 14 forbids torch.nn's layers but allows F.conv2d: a class forbids itself, not every `conv2d`."""
    found = forbidden_uses(f"import torch\ndef block(X):\n{body}\n", LAYERS, ["block"]).get("block", [])
    assert sorted(found) == sorted(expected)


def test_a_forbidden_routine_still_forbids_the_class_of_its_name():
    assert forbidden_uses("import torch\ndef f(X, t):\n    return torch.nn.NLLLoss()(X, t)\n", ("torch.nn.functional.nll_loss",), ["f"]) == {"f": ["torch.nn.NLLLoss"]}


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


@pytest.mark.parametrize("state", ["sys.path", "sys.modules"])
def test_a_loop_reading_sys_path_or_modules_at_import_time_is_not_flagged_as_in_a_function(state):
    """The loop's iterable is import-time code of its own: what uses it (the `for`) counts as it does inside a function."""
    function = "def softmax(X, dim=-1):\n    return X\n"
    assert uses(f"import sys\nfor item in {state}:\n    print(item)\n{function}") == {}
    # bound to a name at import time it is handed on, where it may be changed or handed out: flagged, loop or not
    assert uses(f"import sys\nHELD = {state}\nfor item in HELD:\n    print(item)\n{function}") != {}


def test_the_honest_and_sandbox_red_team_cases_are_not_flagged():
    """Cases that the sandbox, not the static check, must stop keep being graded (their probes must run)."""
    for name in ("h_read_solutions", "h_read_hidden_tests", "h_read_other_students", "h_shadow_modules", "h_patch_test_frameworks",
                 "s_crash_deep_json_frame", "s_plant_grader_module"):
        source = (CASES / f"{name}.py").read_text()
        assert forbidden_uses(source, SOFTMAX.forbidden, FUNCTIONS, local_modules=("softmax",)) == {}, name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("s_zygote_memory_write", ["code built at run time (__code__)", "dynamic look-up (ctypes)", "dynamic look-up (gc.get_objects)"]),
        ("s_tamper_zygote", ["dynamic look-up (ctypes)"]),
    ],
)
def test_sandbox_cases_whose_tools_hide_calls_are_refused_and_their_import_still_runs(name, expected):
    """ctypes, gc.get_objects and __code__ also reach any routine: refused, for every function (the attack runs at import,
    which grading still does, so the sandbox behind the check still meets it)."""
    found = forbidden_uses((CASES / f"{name}.py").read_text(), SOFTMAX.forbidden, FUNCTIONS, local_modules=("softmax",))
    assert found == {function: expected for function in FUNCTIONS}


# ---------------------------------------------------------------- bindings: resolved wherever they are


F_IMPORT = "import torch\nimport torch.nn.functional as F\n"
CE = "torch.nn.functional.cross_entropy"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a local alias of the module, in the function's own body
        ("def cross_entropy(l, t):\n    m = torch.nn.functional\n    return m.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    m = torch.nn\n    f = m.functional\n    return f.cross_entropy(l, t)\n", CE),
        # annotated assignments, top level and local
        ("m: object = torch.nn\ndef cross_entropy(l, t):\n    return m.functional.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    m: object = F\n    return m.cross_entropy(l, t)\n", CE),
        # for and comprehension targets
        ("def cross_entropy(l, t):\n    for m in (torch.nn.functional,):\n        return m.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    return [m.cross_entropy(l, t) for m in [F]][0]\n", CE),
        # tuple unpacking, top level and local, literal or not
        ("a, b = torch.nn, 1\ndef cross_entropy(l, t):\n    return a.functional.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    (x, m), y = (1, F), 2\n    return m.cross_entropy(l, t)\n", CE),
        ("PAIR = (F, 1)\ndef cross_entropy(l, t):\n    m, _ = PAIR\n    return m.cross_entropy(l, t)\n", CE),
        # class attributes, through the class and through self
        ("class K:\n    m = torch.nn.functional\ndef cross_entropy(l, t):\n    return K.m.cross_entropy(l, t)\n", CE),
        ("class K:\n    def __init__(self):\n        self.m = F\n    def run(self, l, t):\n        return self.m.cross_entropy(l, t)\n"
         "def cross_entropy(l, t):\n    return K().run(l, t)\n", CE),
        # with ... as, walrus
        ("class Keep:\n    def __enter__(self):\n        return F\n    def __exit__(self, *a):\n        pass\n"
         "def cross_entropy(l, t):\n    with Keep() as m:\n        return m.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    return (m := torch.nn.functional).cross_entropy(l, t)\n", CE),
        # helpers that return the module, or take it as an argument, or as a default, or bind it globally
        ("def g():\n    return torch.nn.functional\ndef cross_entropy(l, t):\n    return g().cross_entropy(l, t)\n", CE),
        ("g = lambda: F\ndef cross_entropy(l, t):\n    return g().cross_entropy(l, t)\n", CE),
        ("def apply(mod, l, t):\n    return mod.cross_entropy(l, t)\ndef cross_entropy(l, t):\n    return apply(F, l, t)\n", CE),
        ("def cross_entropy(l, t, m=torch.nn.functional):\n    return m.cross_entropy(l, t)\n", CE),
        ("def setup():\n    global M\n    M = F\ndef cross_entropy(l, t):\n    setup()\n    return M.cross_entropy(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    d = {'m': F}\n    return d['m'].cross_entropy(l, t)\n", CE),
        # match: a class pattern's keyword is the attribute; a capture is the subject
        ("def cross_entropy(l, t):\n    match torch.nn.functional:\n        case object(cross_entropy=ce):\n            return ce(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    match torch:\n        case object(nn=object(functional=object(cross_entropy=ce))):\n"
         "            return ce(l, t)\n", CE),
        ("def cross_entropy(l, t):\n    match F:\n        case m:\n            return m.cross_entropy(l, t)\n", CE),
        # sys.modules with a constant key is that module; the submission's own module is its globals
        ("import sys\ndef cross_entropy(l, t):\n    return sys.modules['torch.nn.functional'].cross_entropy(l, t)\n", CE),
        ("from sys import modules\ndef cross_entropy(l, t):\n    return modules.get('torch.nn.functional').cross_entropy(l, t)\n", CE),
        ("import sys\ndef cross_entropy(l, t):\n    return sys.modules[__name__].F.cross_entropy(l, t)\n", CE),
        ("import softmax as me\ndef cross_entropy(l, t):\n    return me.F.cross_entropy(l, t)\n", CE),
        # another module's torch is torch; a star import's names
        ("import kit.harness\ndef cross_entropy(l, t):\n    return kit.harness.torch.nn.functional.cross_entropy(l, t)\n", CE),
        ("from torch import *\ndef cross_entropy(l, t):\n    return nn.functional.cross_entropy(l, t)\n", CE),
    ],
)
def test_a_binding_of_a_module_with_a_forbidden_routine_is_followed(body, expected):
    assert uses(F_IMPORT + body, ("cross_entropy",)) == {"cross_entropy": [expected]}


@pytest.mark.parametrize(
    "use",
    ["Box()().cross_entropy", "Box()[0].cross_entropy", "next(iter(Box())).cross_entropy", "[m for m in Box()][0].cross_entropy",
     "(Box() + 1).cross_entropy", "Box().anything.cross_entropy", "Box().module.cross_entropy"],
)
def test_what_the_submissions_own_class_hands_out_through_its_dunders_and_properties_is_followed(use):
    box = ("class Box:\n    def __call__(self):\n        return F\n    def __getitem__(self, i):\n        return F\n"
           "    def __iter__(self):\n        yield F\n    def __add__(self, other):\n        return F\n"
           "    def __getattr__(self, name):\n        return F\n    @property\n    def module(self):\n        return F\n")
    assert CE in uses(F_IMPORT + box + f"def cross_entropy(l, t):\n    return {use}(l, t)\n", ("cross_entropy",))["cross_entropy"]
    honest = box.replace("return F", "return 1").replace("yield F", "yield 1")
    assert uses(F_IMPORT + honest + f"def cross_entropy(l, t):\n    return {use}(l, t)\n", ("cross_entropy",)) == {}


def test_a_with_target_is_what_the_context_expression_holds():
    found = uses(F_IMPORT + "import contextlib\ndef cross_entropy(l, t):\n    with contextlib.nullcontext(F) as m:\n"
                 "        return m.cross_entropy(l, t)\n", ("cross_entropy",))
    assert found == {"cross_entropy": ["dynamic look-up (torch.nn.functional handed to contextlib.nullcontext)"]}
    found = uses(F_IMPORT + "def cross_entropy(l, t):\n    with F as m:\n        return m.cross_entropy(l, t)\n", ("cross_entropy",))
    assert found == {"cross_entropy": [CE]}


def test_a_binding_counts_in_every_function_that_reaches_it_and_nowhere_else():
    source = F_IMPORT + (
        "class K:\n    m = F\n"
        "def helper(l, t):\n    return K.m.cross_entropy(l, t)\n"
        "def cross_entropy(l, t):\n    return helper(l, t)\n"
        "def softmax(X, dim=-1):\n    m = X.exp()\n    return m / m.sum(dim, keepdim=True)\n"
    )
    assert uses(source, ("cross_entropy", "softmax")) == {"cross_entropy": [CE]}


# ---------------------------------------------------------------- refused: what the check cannot follow


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import sys\ndef softmax(X, dim=-1):\n    return sys.modules['torch'.strip()].softmax(X, dim)\n", "dynamic look-up (sys.modules)"),
        ("import sys\ndef softmax(X, dim=-1):\n    return [m for m in sys.modules.values() if m][0]\n", "dynamic look-up (sys.modules)"),
        ("import sys\ndef softmax(X, dim=-1):\n    mods = sys.modules\n    return mods\n", "dynamic look-up (sys.modules)"),
        ("import ctypes, torch\ndef softmax(X, dim=-1):\n    return ctypes.cast(id(torch), ctypes.py_object).value\n", "dynamic look-up (ctypes)"),
        ("from ctypes import pythonapi\ndef softmax(X, dim=-1):\n    return pythonapi.PyRun_SimpleString(b'')\n", "dynamic look-up (ctypes)"),
        ("import _operator, torch\ndef softmax(X, dim=-1):\n    return _operator.attrgetter('soft' + 'max')(torch)(X, dim)\n",
         "dynamic look-up (_operator)"),
        ("from operator import methodcaller as mc\ndef softmax(X, dim=-1):\n    return mc('soft' + 'max', dim)(X)\n",
         "dynamic look-up (operator.methodcaller)"),
        ("import typing\ndef h(a: 'torch.softmax'): ...\ndef softmax(X, dim=-1):\n    return typing.get_type_hints(h)['a'](X, dim)\n",
         "dynamic look-up (typing.get_type_hints)"),
        ("import string, torch\ndef softmax(X, dim=-1):\n    return string.Formatter().get_field('0.softmax', (torch,), {})[0](X, dim)\n",
         "dynamic look-up (string.Formatter)"),
        ("import torch\ndef h(X, dim):\n    return X.amax(dim)\ndef softmax(X, dim=-1):\n"
         "    h.__code__ = h.__code__.replace(co_names=('soft' + 'max',))\n    return h(X, dim)\n", "code built at run time (__code__)"),
        ("import types\ndef h(): ...\ndef softmax(X, dim=-1):\n    return types.FunctionType(h.__code__, {})\n",
         "code built at run time (types.FunctionType)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.nn.functional.relu.__globals__['soft' + 'max'](X, dim)\n",
         "dynamic look-up (__globals__)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return [c for c in torch.nn.Module.__subclasses__() if c.__name__ == 'Soft' + 'max']\n",
         "dynamic look-up (__subclasses__)"),
        ("def softmax(X, dim=-1):\n    return ().__class__.__mro__[1]\n", "dynamic look-up (__mro__)"),
        ("def softmax(X, dim=-1):\n    return ().__class__.__bases__[0]\n", "dynamic look-up (__bases__)"),
        ("import sys\ndef softmax(X, dim=-1):\n    return sys._getframe(1)\n", "dynamic look-up (sys._getframe)"),
        ("def softmax(X, dim=-1, e=None):\n    return e.__traceback__.tb_frame.f_globals\n", "dynamic look-up (f_globals)"),
        ("import gc\ndef softmax(X, dim=-1):\n    return next(o for o in gc.get_objects() if getattr(o, '__name__', '') == 'soft' + 'max')\n",
         "dynamic look-up (gc.get_objects)"),
        ("import torch\ndef softmax(X, dim=-1):\n    match torch.nn.Softmax(dim):\n        case torch.nn.Module(s):\n            return s\n",
         "dynamic look-up (a match class pattern with positional parts)"),
        ("import functools, torch\ndef softmax(X, dim=-1):\n    return functools.partial(lambda m, x: m.special.softmax(x, dim), torch)(X)\n",
         "dynamic look-up (torch handed to functools.partial)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return [n for n in dir(torch) if n.startswith('soft')]\n", "dynamic look-up (torch handed to dir)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.utils._python_dispatch\n", "torch internals (torch.utils._python_dispatch)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.ops.aten.exp(X)\n", "torch internals (torch.ops)"),
        ("import torch\ndef softmax(X, dim=-1):\n    return torch.compile(lambda x: x)(X)\n", "code built at run time (torch.compile)"),
        ("from torch.utils.cpp_extension import load_inline\ndef softmax(X, dim=-1):\n    return load_inline\n",
         "code built at run time (torch.utils.cpp_extension)"),
    ],
)
def test_what_the_check_cannot_follow_is_refused(body, expected):
    assert expected in uses(body)["softmax"]


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_every_refused_path_is_flagged_by_any_name(path):
    kind = REFUSED[path][0]
    module, _, rest = path.partition(".")
    direct = f"import {module}\ndef softmax(X, dim=-1):\n    return {path}\n"
    assert f"{kind} ({path})" in uses(direct)["softmax"]
    if rest:
        parent, _, name = path.rpartition(".")
        aliased = f"from {parent} import {name} as thing\ndef softmax(X, dim=-1):\n    return thing\n"
        assert f"{kind} ({path})" in uses(aliased)["softmax"]


@pytest.mark.parametrize("attribute", sorted(REFUSED_ATTRIBUTES))
def test_every_refused_attribute_is_flagged_on_any_object(attribute):
    kind = REFUSED_ATTRIBUTES[attribute][0]
    assert uses(f"def softmax(X, dim=-1):\n    return X.{attribute}\n") == {"softmax": [f"{kind} ({attribute})"]}
    assert uses(f"def softmax(X, dim=-1):\n    return getattr(X, '{attribute}')\n") == {"softmax": [f"{kind} ({attribute})"]}


@pytest.mark.parametrize(
    ("assignment_id", "function", "call", "expected"),
    [
        ("02", "cross_entropy", "torch._C._nn.nll_loss_nd(l, t, None, 1, -100)", "torch._C._nn.nll_loss_nd"),
        ("02", "softmax", "torch._C._special.special_softmax(l, 1)", "torch._C._special.special_softmax"),
        ("05", "batch_norm", "torch._native_batch_norm_legit(l, None, None, t, t, True, 0.1, 1e-5)[0]",
         "torch._native_batch_norm_legit"),
        ("08", "scaled_dot_product_attention", "torch.ops.aten._scaled_dot_product_attention_math(l, l, l)[0]",
         "torch.ops.aten._scaled_dot_product_attention_math"),
        ("09", "adam", "torch._fused_adam_([l], [l], [l], [l], [], [t], lr=0.1)", "torch internals (torch._fused_adam_)"),
    ],
)
def test_a_private_kernel_is_named_for_the_routine_it_contains_or_refused(assignment_id, function, call, expected):
    assignment = load_assignment(assignment_id)
    source = f"import torch\ndef {function}(l, t, *args, **kwargs):\n    return {call}\n"
    assert forbidden_uses(source, assignment.forbidden, [function], local_modules=(assignment.module,)) == {function: [expected]}


def test_the_student_is_told_what_hides_the_call():
    said = explain("softmax", ["code built at run time (__code__)", "torch internals (torch.ops)"], "0 points")
    assert said == ("softmax() uses code built at run time (__code__), torch internals (torch.ops), "
                    "which hides what it calls from the check for forbidden routines: 0 points")
    private = explain("cross_entropy", ["torch._C._nn.nll_loss_nd"], "0 points")
    assert private.endswith("which this assignment asks you to implement yourself: 0 points")


def test_code_nested_deeper_than_the_check_follows_is_refused_for_every_function():
    chain = ".nn.functional.torch" * 160
    source = f"import torch\ndef cross_entropy(l, t):\n    return torch{chain}.nn.functional.cross_entropy(l, t)\n{HONEST}"
    assert uses(source, ("cross_entropy", "accuracy")) == {"cross_entropy": [TOO_DEEP], "accuracy": [TOO_DEEP]}


# ---------------------------------------------------------------- honest look-alikes: not flagged


@pytest.mark.parametrize(
    "body",
    [
        # a local f holding a tensor, although another (ungraded) function binds f to the routine
        "def unused():\n    f = F.cross_entropy\n    return f\n"
        "def cross_entropy(l, t):\n    f = l - l.amax(1, keepdim=True)\n    f = f - f.exp().sum(1, keepdim=True).log()\n"
        "    return -f.gather(1, t[:, None]).mean()\n",
        # softmax by .exp(), a for loop over layers, a class with tensor attributes, helpers
        "def cross_entropy(l, t):\n    e = (l - l.amax(1, keepdim=True)).exp()\n    return -(e / e.sum(1, keepdim=True)).gather(1, t[:, None]).log().mean()\n",
        "def cross_entropy(l, t, layers=((torch.ones(3, 3), torch.zeros(3)),)):\n    h = l\n    for W, b in layers:\n"
        "        h = torch.tanh(h @ W + b)\n    return h.sum()\n",
        "class Net:\n    scale = torch.tensor(2.0)\n    def __init__(self):\n        self.W = torch.randn(3, 3)\n"
        "    def forward(self, x):\n        return x @ self.W * Net.scale\ndef cross_entropy(l, t):\n    return Net().forward(l).sum()\n",
        "import functools, operator\ndef _sum(xs):\n    return functools.reduce(operator.add, xs)\n"
        "def cross_entropy(l, t):\n    return _sum([l[i] for i in range(len(l))]).sum()\n",
        # types named where nothing runs; F used for what the assignment allows; torch handed to inspecting built-ins
        "import types, typing\ndef cross_entropy(l: torch.Tensor, t: 'torch.Tensor', f: types.FunctionType | None = None)"
        " -> typing.Optional[torch.Tensor]:\n    assert isinstance(l, (torch.Tensor, types.FunctionType)) or callable(f)\n"
        "    x: typing.Any = F.relu(l)\n    return x.sum().to(torch.float64)\n",
        "def cross_entropy(l, t):\n    assert torch.__version__ and hasattr(torch, 'einsum') and isinstance(F, type(torch))\n"
        "    return torch.einsum('ij,ij->', l, l)\n",
        # reading the names in sys.modules; gc.collect; inspect.signature; context managers
        "import sys, gc, inspect\ndef cross_entropy(l, t):\n    if 'numpy' in sys.modules and sorted(sys.modules):\n        gc.collect()\n"
        "    inspect.signature(cross_entropy)\n    with torch.no_grad() as nothing:\n        y = l * 2\n    return y.sum()\n",
        # match on strings, tuples, mappings and the submission's own dataclass
        "import dataclasses\n@dataclasses.dataclass\nclass P:\n    x: int\n    y: int\n"
        "def cross_entropy(l, t, reduction='mean'):\n    match reduction:\n        case 'mean':\n            return l.mean()\n"
        "        case str(r) if r == 'sum':\n            return l.sum()\n        case (a, b) | {'k': (a, b)}:\n            return a\n"
        "    match P(1, 2):\n        case P(a, b):\n            return l * a\n",
        # getattr with constant names on tensors and modules the routine is not in
        "import math\ndef cross_entropy(l, t):\n    return getattr(l, 'shape')[0] + getattr(math, 'pi') + getattr(torch, 'exp')(l).sum()\n",
    ],
)
def test_honest_look_alikes_are_not_flagged(body):
    assert uses(F_IMPORT + body, ("cross_entropy",)) == {}


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
    assert explain("softmax", ["torch.softmax"], "0 points") == (
        "softmax() uses torch.softmax, which this assignment asks you to implement yourself: 0 points"
    )
    both = explain("softmax", ["import of helper (neither the standard library nor a course package)", "torch.exp"], "0 points")
    assert both.startswith("softmax() uses torch.exp, which this assignment asks you to implement yourself; and import of helper")
    assert "hides what it calls" in both
