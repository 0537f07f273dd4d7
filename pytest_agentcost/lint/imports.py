"""Module names and import resolution: dotted names for files, relative imports, Langfuse names."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["module_name_for", "resolve_relative"]


def module_name_for(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name of `path` and whether it is a package `__init__.py`.

    Inside a package the name walks up through the directories that hold an `__init__.py`, so
    `src/app/agents/planner.py` is `app.agents.planner` whatever the root. A file outside any
    package is named by its stem, as Python names a script's sibling modules.
    """
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root))
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        if directory == root:
            break
        directory = directory.parent
    return ".".join(parts), is_package


def resolve_relative(module: str, is_package: bool, level: int, name: str) -> str:
    """The absolute module named by `from <level dots><name> import ...` inside `module`."""
    if level == 0:
        return name
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)] if level - 1 <= len(package) else []
    base = ".".join(package)
    if name:
        return f"{base}.{name}" if base else name
    return base
