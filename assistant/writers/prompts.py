"""LLM prompts as Jinja files in ``prompts/llm/``, checked when they load, rendered strictly.

Each task declares the variables the code gives it; a template that uses any other variable,
or that forgets the fenced ``{{ sources }}``, is a ``ConfigError`` at start-up, not a surprise
at call time. Rendering uses ``StrictUndefined`` as a second guard.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, meta

from assistant.core.errors import ConfigError

TASK_VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset({"vendor"}),
    "pitch": frozenset({"persona", "company", "account", "competitor", "features", "sources"}),
    "objection": frozenset({"persona", "objection", "competitor", "matched", "sources"}),
    "upsell": frozenset({"account", "timing", "opportunities", "sources"}),
    "ask": frozenset({"question", "sources"}),
    "quiz_questions": frozenset({"n", "topic", "sources"}),
    "grading": frozenset({"question", "answer_key", "key_points", "learner_answer", "sources"}),
    "deal_notes": frozenset({"fields", "sources"}),  # meeting notes → a deal record
    "fix": frozenset({"problems"}),  # after a reply fails verification
}


class Prompts:
    """All task templates of one prompts folder, validated at construction."""

    def __init__(self, prompts_dir: Path) -> None:
        self.folder = prompts_dir / "llm"
        self._env = Environment(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=False,
        )
        self._templates = {}
        for task, allowed in TASK_VARIABLES.items():
            path = self.folder / f"{task}.md.j2"
            try:
                source = path.read_text(encoding="utf-8")
                used = meta.find_undeclared_variables(self._env.parse(source))
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read prompt ({exc.strerror})") from None
            except TemplateSyntaxError as exc:
                raise ConfigError(f"{path}:{exc.lineno}: {exc.message}") from None
            unknown = sorted(used - allowed)
            if unknown:
                raise ConfigError(
                    f"{path}: uses {', '.join(unknown)}, which the {task} prompt "
                    f"is not given (it gets: {', '.join(sorted(allowed))})"
                )
            if "sources" in allowed and "sources" not in used:
                raise ConfigError(f"{path}: must include {{{{ sources }}}}, the fenced sources")
            self._templates[task] = self._env.from_string(source)

    def render(self, task: str, **values: object) -> str:
        missing = sorted(TASK_VARIABLES[task] - values.keys())
        if missing:
            raise ConfigError(f"prompt {task}: no value for {', '.join(missing)}")
        return self._templates[task].render(**values).strip() + "\n"
