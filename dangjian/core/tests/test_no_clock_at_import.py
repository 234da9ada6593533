"""No test module reads the clock when it is imported: a module-level `TODAY = dt.date.today()` (or a class attribute,
a default argument, a decorator's argument such as a parametrize list) is read once at collection, while the code
under test reads the day again when the test runs, so a session that crosses the site's midnight compared two
different days. A test reads "today" when it runs (the `today` fixture of dangjian/conftest.py) and derives its
years and months from it. Checked on the source (ast): a call of `today()`, `now()`, `utcnow()` or `localdate()`
evaluated at import fails, wherever the module is."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]  # dangjian/
CLOCK_CALLS = frozenset({"today", "now", "utcnow", "localdate"})

# Modules that may still read the clock at import: none (the list could only shrink, and it is empty). A module added
# here would need a reason that no test of it can cross midnight.
ALLOWED: frozenset[str] = frozenset()


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _evaluated_at_import(node: ast.AST) -> Iterator[ast.Call]:
    """The clock calls in `node` that run when its module is imported: everything but the bodies of functions and
    lambdas (their decorators and default arguments do run; a class body runs too)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                yield from _evaluated_at_import(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                yield from _evaluated_at_import(default)
        return
    if isinstance(node, ast.Call) and _name(node.func) in CLOCK_CALLS:
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _evaluated_at_import(child)


def clock_reads(source: str) -> list[str]:
    """`line: call` of every clock call of `source` evaluated at import."""
    return [f"{call.lineno}: {ast.unparse(call)}" for call in _evaluated_at_import(ast.parse(source))]


def scanned_modules() -> list[Path]:
    """Every file of the tests' directories (their conftest.py and helpers too) and the shared conftest.py."""
    return sorted({*PACKAGE.glob("*/tests/**/*.py"), PACKAGE / "conftest.py"})


def test_no_test_module_reads_the_clock_at_import():
    found = {}
    for path in scanned_modules():
        reads = clock_reads(path.read_text(encoding="utf-8"))
        if reads:
            found[path.relative_to(PACKAGE).as_posix()] = reads
    new = {module: reads for module, reads in found.items() if module not in ALLOWED}
    assert not new, (
        "Read today in the test (the `today` fixture of dangjian/conftest.py), not when the module is imported: "
        + "; ".join(f"{module} line {', line '.join(reads)}" for module, reads in sorted(new.items()))
    )
    fixed = sorted(ALLOWED - set(found))
    assert not fixed, f"No longer reading the clock at import: take them off ALLOWED: {', '.join(fixed)}"


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param("TODAY = dt.date.today()", [1], id="module"),
        pytest.param("YEAR = date.today().year - 1", [1], id="derived"),
        pytest.param("NOW = timezone.now()", [1], id="now"),
        pytest.param("DAY = timezone.localdate()", [1], id="localdate"),
        pytest.param("class T:\n    day = dt.date.today()", [2], id="class-body"),
        pytest.param("def helper(day=dt.date.today()):\n    return day", [1], id="default"),
        pytest.param("def helper(*, day=timezone.localdate()):\n    return day", [1], id="keyword-default"),
        pytest.param(
            "@pytest.mark.parametrize('d', [dt.date.today()])\ndef test(d):\n    pass", [1], id="decorator"
        ),
        pytest.param("f = lambda day=dt.datetime.now(): day", [1], id="lambda-default"),
        pytest.param(
            "ROWS = [dt.date.today() + dt.timedelta(days=n) for n in range(3)]", [1], id="comprehension"
        ),
    ],
)
def test_a_read_at_import_is_found(source, lines):
    assert [int(read.split(":")[0]) for read in clock_reads(source)] == lines


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def test(today):\n    assert today == dt.date.today()", id="test-body"),
        pytest.param("@pytest.fixture\ndef year(today):\n    return dt.date.today().year", id="fixture-body"),
        pytest.param("class TestIt:\n    def test(self):\n        return timezone.now()", id="method-body"),
        pytest.param("f = lambda: dt.date.today()", id="lambda-body"),
        pytest.param("D = dt.date\nSTART = D(2024, 1, 1)", id="fixed-day"),
        pytest.param("factory = field(default_factory=dt.date.today)", id="not-called"),  # called later
    ],
)
def test_a_read_when_the_test_runs_is_not(source):
    assert clock_reads(source) == []
