"""Every third-party module our code imports is pinned directly, not just brought in by another package.

A package that arrives only as someone else's dependency can change or vanish when that package is
upgraded (issue 14). Application code must be covered by requirements.txt; tests, benchmarks, tools and
test factories may also rely on requirements-dev.txt. The lock files must pin every one of them too.
"""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "node_modules", ".git", "staticfiles", "media"}
DEV_DIRS = {"tests", "bench", "tools"}
DEV_FILES = {"factories.py", "conftest.py"}


def normalise(name: str) -> str:
    """PEP 503 name: Django-Filter, django_filter and django.filter are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(requirements: Path) -> dict[str, str]:
    """Package name -> exact version of a requirements file, following `-r` includes."""
    found: dict[str, str] = {}
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if line.startswith("-r "):
            found |= pinned(requirements.parent / line[3:].strip())
            continue
        if line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?\s*==\s*([^\s;]+)(\s*;.*)?", line)
        assert match, f"{requirements.name}: not pinned exactly: {raw!r}"
        found[normalise(match.group(1))] = match.group(3)
    return found


def top_level_imports(source: str) -> set[str]:
    """Absolute top-level module names imported anywhere in the source (also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def local_modules() -> set[str]:
    return {path.stem for path in ROOT.iterdir() if path.is_dir() or path.suffix == ".py"}


def third_party_imports() -> dict[str, dict[str, set[str]]]:
    """{"runtime"|"dev": {module: files}} of the project's third-party imports."""
    local = local_modules()
    found: dict[str, dict[str, set[str]]] = {"runtime": {}, "dev": {}}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIP_DIRS & set(relative.parts):
            continue
        kind = "dev" if relative.parts[0] in DEV_DIRS or path.name in DEV_FILES else "runtime"
        for module in top_level_imports(path.read_text()):
            if module in sys.stdlib_module_names or module in local:
                continue
            found[kind].setdefault(module, set()).add(str(relative))
    # Apps named in settings are imported by Django itself.
    for app in settings.INSTALLED_APPS:
        module = app.split(".")[0]
        if module not in local:
            found["runtime"].setdefault(module, set()).add("settings.INSTALLED_APPS")
    return found


def unpinned(modules: dict[str, set[str]], pins: dict[str, str]) -> list[str]:
    """The imported modules whose distribution is not pinned, each with where it is imported."""
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, files in sorted(modules.items()):
        names = {normalise(name) for name in distributions.get(module, [])}
        if not names:
            problems.append(f"{module}: no installed package provides it ({sorted(files)[0]})")
        elif not names & pins.keys():
            problems.append(f"{module} (package {', '.join(sorted(names))}) in {sorted(files)[:3]}")
    return problems


def test_application_imports_are_pinned_in_requirements_txt():
    imports = third_party_imports()
    assert "django" in imports["runtime"] and "modelsearch" in imports["runtime"]
    assert unpinned(imports["runtime"], pinned(ROOT / "requirements.txt")) == []


def test_test_and_tool_imports_are_pinned_in_requirements_dev_txt():
    imports = third_party_imports()
    assert "pytest" in imports["dev"]
    assert unpinned(imports["dev"], pinned(ROOT / "requirements-dev.txt")) == []


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.lock", "requirements.txt"), ("requirements-dev.lock", "requirements-dev.txt")],
)
def test_lock_files_hold_the_direct_pins_with_hashes(lock, requirements):
    """The lock agrees with the readable list, and every pin has a hash (pip then checks them all)."""
    locked = pinned(ROOT / lock)
    for name, version in pinned(ROOT / requirements).items():
        assert locked.get(name) == version, f"{lock}: {name} is {locked.get(name)}, {requirements}: {version}"
    text = (ROOT / lock).read_text()
    assert text.count("==") == len(locked)
    assert text.count("--hash=sha256:") >= len(locked)


def test_the_check_finds_a_module_only_brought_in_by_another_package(tmp_path):
    """Proof the check can fail: django_filters is installed, but not pinned by this requirements file."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django==5.2.19  # a comment\n")
    modules = {
        module: {"x.py"} for module in top_level_imports("import django\nfrom django_filters import F\n")
    }
    assert unpinned(modules, pinned(requirements)) == ["django_filters (package django-filter) in ['x.py']"]
