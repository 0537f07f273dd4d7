"""Module names and import resolution: dotted names for files, relative imports, Langfuse names."""

from __future__ import annotations

from pathlib import Path

__all__ = ["module_name_for", "resolve_relative"]


def module_name_for(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name of `path` and whether it is a package `__init__.py`.

    The name walks up through directories that hold an `__init__.py`; a file outside any package
    is named by its path relative to `root`, without a leading `src/` layout directory.
    """
    path = path.resolve() if not path.is_absolute() else path
    root = root.resolve() if not root.is_absolute() else root
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory != directory.parent:
        parts.insert(0, directory.name)
        if directory == root:
            break
        directory = directory.parent
    else:
        # not (or no longer) inside a package: fall back to the path relative to the root
        try:
            rel = directory.relative_to(root).parts
        except ValueError:
            rel = ()
        if rel and rel[0] == "src":
            rel = rel[1:]
        parts = [*(p for p in rel if p.isidentifier()), *parts]
    return ".".join(p for p in parts if p), is_package


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
