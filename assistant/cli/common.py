"""What every command shares: JSON or text output, progress bars, the service, exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from assistant.core.config import Settings
from assistant.core.errors import ConfigError
from assistant.core.results import Result, TextSink
from assistant.core.text import without_page_ids

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class Bars:
    """tqdm bars on stderr, one per stage, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            unit = {"files": "file", "embedding": "chunk"}.get(stage, "step")
            bar = self._bars[stage] = tqdm(
                total=total, desc=stage, unit=unit, file=sys.stderr, leave=True, dynamic_ncols=True
            )
        bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def emit(args: argparse.Namespace, data: Any, render: Callable[[Any], str]) -> None:
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(without_page_ids(render(data)).rstrip() + "\n")


def require_content(kb: Any) -> None:
    if kb.is_empty():
        raise ConfigError(f"the knowledge store {kb.root} is empty; run `pitchcraft ingest PATH`")


def knowledge_base(settings: Settings) -> Any:
    """The knowledge store, which must hold documents."""
    from assistant.index.kb import KnowledgeBase

    kb = KnowledgeBase(settings)
    require_content(kb)
    return kb


def service(settings: Settings) -> Any:
    """The ``Pitchcraft`` service over a knowledge store that holds documents."""
    from assistant.service import Pitchcraft

    return Pitchcraft(knowledge_base(settings))


def live(args: argparse.Namespace, app: Any) -> TextSink | None:
    """Print prose as an LLM writes it (terminal, Markdown output only)."""
    if args.json or not sys.stdout.isatty() or app.writer.name == "offline":
        return None

    def sink(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    return sink


def emit_result(
    args: argparse.Namespace, app: Any, run: Callable[[TextSink | None], Result]
) -> int:
    """Run a writing job (streamed to the terminal when an LLM writes) and print its result."""
    sink = live(args, app)
    result = run(sink)
    streamed = sink is not None and result.writer == app.writer.name
    if sink is not None and not streamed:  # what streamed failed verification: say so
        print("\n\n--- the model's answer above was not used; see the warnings ---\n")
    emit(args, result.to_json(), lambda _: result.to_markdown(prose=not streamed))
    return EXIT_OK
