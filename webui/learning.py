"""Rendering enablement: quiz questions and grading, drill rubrics and scores, the pitch coach's
report and progress over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from assistant.service import Pitchcraft
from assistant.training.quiz.records import LETTERS
from webui.results import escape, prose, warnings


@st.cache_resource(show_spinner=False)
def _tools(app_id: int, _app: Pitchcraft) -> Learning:
    return Learning(_app)


class Learning:
    """The enablement parts for one service, built once per process like the service."""

    def __init__(self, app: Pitchcraft) -> None:
        from assistant.training.llm import training_parts
        from assistant.training.progress import Progress
        from assistant.training.quiz.maker import QuizMaker

        open_generator, self.grader = training_parts(app.kb, app.writer)
        self.quizzes = QuizMaker(app.kb, open_generator=open_generator)
        self.drill = app.drill(self.grader)
        self.coach = app.coach
        self.progress = Progress.for_kb(app.kb.root)


def tools(app: Pitchcraft) -> Learning:
    return _tools(id(app), app)


KIND_LABELS = {
    "multiple_choice": "Multiple choice",
    "true_false": "True or false",
    "fill_blank": "Fill in the blank",
    "open": "In your own words",
}


def question_input(q: Any, number: int) -> str:
    """One quiz question's widget; returns the learner's answer as the grader reads it."""
    st.markdown(f"**{number}. {escape(q.question)}**")
    st.caption(f"{KIND_LABELS.get(q.kind, q.kind)} · {q.topic}")
    key = f"answer_{q.id}"
    if q.kind == "multiple_choice" and q.choices:
        # Answered by letter: a choice that is itself "2" would otherwise read as choice 2.
        letters = list(LETTERS[: len(q.choices)])
        picked = st.radio(
            "Your answer",
            letters,
            index=None,
            key=key,
            format_func=lambda letter: f"{letter}. {q.choices[letters.index(letter)]}",
            label_visibility="collapsed",
        )
        return picked or ""
    if q.kind == "true_false":
        picked = st.radio(
            "Your answer",
            ["True", "False"],
            index=None,
            key=key,
            horizontal=True,
            label_visibility="collapsed",
        )
        return picked or ""
    if q.kind == "open":
        return st.text_area("Your answer", key=key, label_visibility="collapsed") or ""
    return st.text_input("Your answer", key=key, label_visibility="collapsed") or ""


def source_quotes(items: Sequence[dict[str, Any]], title: str = "Source") -> None:
    """Dict citations (``{source, section, quote, ...}``) as quotes with where they come from."""
    for c in items:
        if not c:
            continue
        where = c.get("source", "") + (f", p. {c['page']}" if c.get("page") else "")
        st.markdown(f"> {escape(' '.join(str(c.get('quote', '')).split()))}")
        st.caption(f"{title}: `{where}` — {c.get('section', '')}")


def quiz_grade(grade: Any) -> None:
    """The grading: score, then per question right or wrong, the answer key and its source."""
    data = grade.to_json()
    cols = st.columns(3)
    cols[0].metric("Score", f"{data['score']:.0%}")
    cols[1].metric("Correct", f"{data['correct']} of {data['total']}")
    cols[2].metric("Grader", data["grader"])
    for n, r in enumerate(grade.results, 1):
        q = r.question
        mark = (
            ":green[:material/check_circle: Correct]"
            if r.correct
            else ":red[:material/cancel: Not yet]"
        )
        with st.container(border=True):
            st.markdown(f"**{n}. {escape(q.question)}**")
            st.markdown(f"{mark} · score {r.score:.2f}")
            said = r.response
            if q.kind == "multiple_choice" and said in LETTERS[: len(q.choices or [])]:
                said = f"{said}. {q.choices[LETTERS.index(said)]}"
            st.markdown(f"Your answer: {escape(said) if said else '_(none)_'}")
            if q.kind == "open":
                for point in r.covered:
                    st.markdown(f":green[:material/check:] {escape(point['point'])}")
                for point in r.missed:
                    st.markdown(f":red[:material/close:] {escape(point['point'])}")
            else:
                st.markdown(f"Answer: **{escape(q.answer)}**")
            if q.explanation:
                st.caption(escape(q.explanation))
            with st.expander("Source"):
                source_quotes(q.citations)


def drill_rubric(prompt: Any) -> None:
    """The rubric, shown before the rep answers."""
    for item in prompt.to_json()["rubric"]:
        st.markdown(f"- {item['label']} ({item['weight']:.0%})")


def drill_result(result: Any) -> None:
    data = result.to_json()
    st.metric("Drill score", f"{data['score']:.0%}")
    for r in data["rubric"]:
        mark = ":green[:material/check_circle:]" if r["met"] else ":red[:material/cancel:]"
        share = f" ({r['share']:.0%})" if r.get("share") is not None else ""
        with st.container(border=True):
            st.markdown(f"{mark} **{r['label']}**{share} · weight {r['weight']:.0%}")
            if r["quote"]:
                st.markdown(f"You said: “{escape(r['quote'])}”")
            if r["note"]:
                st.caption(escape(r["note"]))
            if r.get("evidence"):
                source_quotes([r["evidence"]], "The source")
    if data["missed"]:
        st.markdown("##### Key points you missed")
        for m in data["missed"]:
            st.markdown(f"- {escape(m['point'])}")
            st.caption(f"`{m.get('source', '')}`")
    if data["unsupported_figures"]:
        st.warning(
            "Figures the knowledge base does not back: " + ", ".join(data["unsupported_figures"])
        )


def coach_report(report: Any) -> None:
    data = report.to_json()
    s = data["scores"]
    cols = st.columns(4)
    cols[0].metric("Overall", f"{s['overall']:.0%}")
    cols[1].metric("Persona fit", f"{s['persona_fit']:.2f}")
    cols[2].metric("Claims backed", f"{s['supported_claims']} of {s['claims']}")
    covered = s.get("differentiators_covered")
    cols[3].metric("Differentiators used", "—" if covered is None else f"{covered:.0%}")
    st.caption(f"Persona: {data['persona']['title']} · {data['persona']['why']}")
    warnings(data["warnings"])
    if data["suggestions"]:
        st.markdown("##### Suggestions")
        for sug in data["suggestions"]:
            with st.container(border=True):
                st.markdown(prose(sug["fix"]))
                source_quotes(sug["citations"])
    if data["unsupported_claims"]:
        st.markdown("##### Claims the knowledge base does not back")
        for c in data["unsupported_claims"]:
            st.markdown(f"- “{escape(c['sentence'])}” — {escape(c.get('reason', ''))}")
    if data["jargon"]:
        st.markdown("##### Jargon for this persona")
        for j in data["jargon"]:
            st.markdown(f"- **{escape(j['term'])}** in “{escape(j['sentence'])}”")


def progress_chart(attempts: Sequence[dict[str, Any]], topics: Sequence[str]) -> None:
    """Each day's mean score per topic, for ``topics``: a line per topic, a point per day."""
    import altair as alt
    import pandas as pd

    rows = progress_over_time(attempts, topics)
    if not rows:
        return
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=alt.OverlayMarkDef(size=80))
        .encode(
            x=alt.X("day:T", title="day", axis=alt.Axis(format="%b %d", tickCount="day")),
            y=alt.Y("score:Q", title="mean score", scale=alt.Scale(domain=[0, 1])).axis(format="%"),
            color=alt.Color("topic:N", legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=["day:T", "topic:N", alt.Tooltip("score:Q", format=".0%")],
        )
    )
    st.altair_chart(chart, use_container_width=True)


def progress_over_time(attempts: Sequence[dict[str, Any]], topics: Sequence[str]) -> list[dict]:
    """Rows for a chart: each day's mean score per topic, for ``topics``."""
    sums: dict[tuple[str, str], list[float]] = {}
    wanted = set(topics)
    for a in attempts:
        if a["topic"] in wanted:
            sums.setdefault((str(a["answered_at"])[:10], a["topic"]), []).append(a["score"])
    return [
        {"day": day, "topic": topic, "score": round(sum(v) / len(v), 3)}
        for (day, topic), v in sorted(sums.items())
    ]
