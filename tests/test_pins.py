"""Every install uses the pins in constraints.txt, and the pins cover everything the code imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO

CONSTRAINTS = REPO / "constraints.txt"


def pinned() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line} is not an exact pin"
            pins[canonicalize_name(name)] = version
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        names.extend(extra)
    return [Requirement(name) for name in names]


def closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the declared packages need, following installed metadata."""
    seen: set[str] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                pending.append(needed)
        for extra in requirement.extras:
            for text in metadata.requires(requirement.name) or []:
                needed = Requirement(text)
                if needed.marker is not None and needed.marker.evaluate({"extra": extra}):
                    pending.append(needed)
    return seen


def test_every_package_needed_is_pinned_and_installed_at_its_pin() -> None:
    pins = pinned()
    needed = closure(declared())
    assert needed - set(pins) == set(), "not pinned in constraints.txt"
    for name in needed:
        assert metadata.version(name) == pins[name], f"{name} is installed at another version than its pin"


def test_every_package_pinned_is_needed() -> None:
    assert set(pinned()) - closure(declared()) == set(), "pinned but needed by nothing: refresh constraints.txt"


def top_level_imports(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_import_is_a_declared_dependency() -> None:
    local = {"sitegen", "conftest"} | {p.stem for folder in ("tests", "benchmarks") for p in (REPO / folder).glob("*.py")}
    providers = metadata.packages_distributions()
    declared_names = {canonicalize_name(r.name) for r in declared()}
    for folder in ("src", "tests", "benchmarks", "scripts"):
        for module in sorted(top_level_imports(REPO / folder) - local - set(sys.stdlib_module_names)):
            distributions = {canonicalize_name(d) for d in providers.get(module, [])}
            assert distributions & declared_names, f"{folder}/ imports {module}, which pyproject.toml does not declare"


def test_every_install_command_uses_the_pins() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv \.venv .*$", readme, flags=re.MULTILINE)
    assert len(commands) >= 2
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    netlify = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    netlify_commands = [netlify["build"]["command"]] + [c["command"] for c in netlify["context"].values()]
    for command in commands + netlify_commands + [line for line in ci.splitlines() if "pip install" in line]:
        for install in re.findall(r"pip install[^&]*", command):
            assert "-c constraints.txt" in install, command
