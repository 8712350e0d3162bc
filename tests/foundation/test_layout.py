"""The layout a newcomer relies on (docs/architecture.md, ADR 0008): thin page views, and no
import hidden inside a function of an app's code."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("core", "accounts", "victims", "cases", "protocol")
PAGE_VIEWS = ("accounts/views.py", "victims/views.py", "cases/views.py", "protocol/views.py")
# Issue 14's pages, in modules of their own.
PAGE_VIEWS += (
    "accounts/audit_views.py",
    "victims/unreported_views.py",
    "protocol/evaluation_views.py",
    "protocol/forecast_views.py",
)
MAX_VIEW_LINES = 40


def _page_views():
    for path in PAGE_VIEWS:
        tree = ast.parse((ROOT / path).read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                yield f"{path}:{node.name}", node.end_lineno - node.lineno + 1


@pytest.mark.parametrize(("view", "lines"), list(_page_views()), ids=lambda value: str(value))
def test_each_page_view_is_under_40_lines(view, lines):
    """A page view validates, calls one service or selector and renders: the draft of the
    referral journey, a change's recording and a page's context live in helpers beside it."""
    assert lines < MAX_VIEW_LINES, f"{view} is {lines} lines"


def _function_imports():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if path.name == "apps.py" and function.name == "ready":
                    continue  # Django's rule: models are not loaded before ready() runs
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_no_import_hides_inside_a_function():
    """Imports between apps are the layer contracts' to check (pyproject.toml), and they see
    an import inside a function only as well as a reader does: so there are none."""
    assert list(_function_imports()) == []
