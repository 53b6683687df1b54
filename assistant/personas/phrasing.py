"""Persona phrasing templates: ``{name}`` placeholders, checked when a persona file loads.

Values (``Persona.render``): ``company`` is the prospect's company (the account), ``context`` a
short account description, ``persona_title`` the job title being pitched, ``competitor`` a
competitor name, ``feature``/``module``/``priority`` a feature, its module and the persona
priority theme it serves, ``customer`` a reference customer, ``cta`` the persona's call to
action, ``vendor`` the selling company's name.
"""

from __future__ import annotations

import string

PLACEHOLDERS: dict[str, frozenset[str]] = {
    "opener": frozenset({"company", "context", "competitor", "persona_title", "vendor"}),
    "feature_lead": frozenset({"feature", "module", "priority", "vendor"}),
    "proof_lead": frozenset({"customer", "vendor"}),
    "competitive_lead": frozenset({"competitor", "vendor"}),
    "close": frozenset({"cta", "company", "vendor"}),
    "cta": frozenset({"vendor"}),
}
"""The placeholders each template may use."""


def template_fields(template: str) -> set[str]:
    """Placeholder names in a ``{name}`` template; ``ValueError`` for anything fancier."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed template ({exc}); write literal braces as {{{{ }}}}") from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a plain {{name}}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not carry a format spec or conversion")
        names.add(name)
    return names


def check_template(template: str, allowed: frozenset[str]) -> str:
    """``template`` itself, or ``ValueError`` naming placeholders it may not use."""
    unknown = template_fields(template) - allowed
    if unknown:
        raise ValueError(
            f"unknown placeholder {', '.join('{' + n + '}' for n in sorted(unknown))}; "
            f"allowed: {', '.join('{' + n + '}' for n in sorted(allowed))}"
        )
    return template
