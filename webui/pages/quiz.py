"""Quiz & drills: quizzes graded with their sources, objection drills scored against a visible
rubric, a coach for your own pitch, and progress on weak topics over time."""

import random

import streamlit as st

import webui
from assistant.core.records import DOC_TYPES
from assistant.training.progress import default_learner
from assistant.training.quiz.grading import grade as grade_quiz
from webui import learning, results

app = webui.get_app()
st.title("Quiz & drills")
if app.kb.is_empty():
    st.warning("The knowledge store is empty: load the sample knowledge or add documents first.")
    st.stop()

with webui.shown_errors(), st.spinner("Preparing questions (first time only)…"):
    tools = learning.tools(app)
learner = (
    st.text_input(
        "Your name",
        default_learner(),
        key="learner",
        help="Progress is saved under this name in the knowledge store.",
    ).strip()
    or "guest"
)
personas = app.personas
competitors = app.kb.competitor_names()
quiz_tab, drill_tab, coach_tab, progress_tab = st.tabs(
    ["Quiz", "Objection drill", "Pitch coach", "Progress"]
)

with quiz_tab:
    with st.form("quiz_setup"):
        left, mid, right = st.columns(3)
        n = left.slider("Questions", 3, 15, 5, key="quiz_n")
        topic = mid.text_input(
            "Topic (optional)", key="quiz_topic", placeholder="e.g. a feature or a competitor"
        )
        doc_types = right.multiselect("Document types", DOC_TYPES, key="quiz_doc_types")
        start = st.form_submit_button("New quiz", type="primary", icon=":material/quiz:")
    if start:
        with webui.shown_errors():
            quiz = tools.quizzes.make(
                n,
                topic=(topic or "").strip() or None,
                doc_types=doc_types,
                seed=random.randrange(1 << 30),
                focus=tools.progress.focus(learner),
            )
        tools.progress.remember(quiz.questions)
        st.session_state["quiz"] = quiz
        st.session_state.pop("quiz_grade", None)
    quiz = st.session_state.get("quiz")
    if quiz is not None:
        results.warnings(quiz.warnings)
        if quiz.reviewed:
            st.caption(f"{quiz.reviewed} question(s) are back for review from earlier quizzes.")
        with st.form("quiz_answers"):
            responses = {
                q.id: learning.question_input(q, i) for i, q in enumerate(quiz.questions, 1)
            }
            submitted = st.form_submit_button("Grade my answers", type="primary")
        if submitted:
            result = grade_quiz(quiz.questions, responses, tools.grader)
            tools.progress.record_quiz(learner, result)
            st.session_state["quiz_grade"] = result
        if "quiz_grade" in st.session_state:
            st.subheader("Your grade")
            learning.quiz_grade(st.session_state["quiz_grade"])

with drill_tab:
    st.caption(
        "The assistant plays a buyer and raises an objection from the knowledge base; your "
        "answer is scored against the rubric below, with the sources it rests on."
    )
    with st.form("drill_setup"):
        left, right = st.columns(2)
        persona = left.selectbox(
            "Buyer",
            ["(any)", *personas],
            format_func=lambda p: personas[p].title if p in personas else p,
            key="drill_persona",
        )
        competitor = right.selectbox(
            "Competitor", [webui.NO_COMPETITOR, *competitors], key="drill_competitor"
        )
        start = st.form_submit_button("New objection", type="primary", icon=":material/forum:")
    if start:
        history = {a["item"]: a["score"] for a in tools.progress.attempts(learner, "drill")}
        with webui.shown_errors():
            st.session_state["drill"] = tools.drill.pick(
                persona=None if persona == "(any)" else persona,
                competitor=None if competitor == webui.NO_COMPETITOR else competitor,
                seed=random.randrange(1 << 30),
                history=history,
            )
        st.session_state.pop("drill_result", None)
    prompt = st.session_state.get("drill")
    if prompt is not None:
        with st.chat_message("user", avatar=":material/person:"):
            st.markdown(f"**{prompt.buyer}:** “{results.prose(prompt.item.objection)}”")
        with st.expander("The rubric", expanded=True):
            learning.drill_rubric(prompt)
        with st.form("drill_answer"):
            answer = st.text_area("Your answer", key="drill_text", height=150)
            submitted = st.form_submit_button("Score my answer", type="primary")
        if submitted:
            if not (answer or "").strip():
                st.warning("Write your answer first.")
            else:
                result = tools.drill.grade(prompt, answer)
                tools.progress.record_drill(
                    learner,
                    prompt.item.id,
                    prompt.item.topic,
                    result.score,
                    answer,
                    result.to_json(),
                )
                st.session_state["drill_result"] = result
        if "drill_result" in st.session_state:
            learning.drill_result(st.session_state["drill_result"])

with coach_tab:
    st.caption(
        "Paste a pitch you wrote: it is checked for persona fit, jargon, claims the knowledge "
        "base does not back, and differentiators you left out, each with a cited fix."
    )
    with st.form("coach_form"):
        left, right = st.columns(2)
        persona = left.selectbox(
            "For",
            list(personas),
            format_func=lambda p: personas[p].title,
            key="coach_persona",
        )
        competitor = right.selectbox(
            "Competitor", [webui.NO_COMPETITOR, *competitors], key="coach_competitor"
        )
        text = st.text_area("Your pitch", key="coach_text", height=180)
        submitted = st.form_submit_button("Review my pitch", type="primary")
    if submitted:
        if not (text or "").strip():
            st.warning("Paste your pitch first.")
        else:
            with webui.shown_errors(), st.spinner("Checking every claim against the sources…"):
                st.session_state["coach_report"] = tools.coach.review(
                    text, persona, None if competitor == webui.NO_COMPETITOR else competitor
                )
    if "coach_report" in st.session_state:
        learning.coach_report(st.session_state["coach_report"])

with progress_tab:
    report = tools.progress.report(learner)
    if not report["attempts"]:
        st.info(f"No answers from {learner} yet: take a quiz or a drill.")
    else:
        cols = st.columns(4)
        quiz_score = report["quiz_score"]
        drill_score = report["drill_score"]
        cols[0].metric("Quiz answers", report["quiz_answers"])
        cols[1].metric("Quiz score", "—" if quiz_score is None else f"{quiz_score:.0%}")
        cols[2].metric("Drills", report["drills"])
        cols[3].metric("Due for review", report["due"])
        weak = report["weak_topics"]
        st.markdown(
            "**Weak topics:** "
            + (", ".join(weak) if weak else "none — keep going")
            + (f" · drill score {drill_score:.0%}" if drill_score is not None else "")
        )
        shown = weak or [t["topic"] for t in report["topics"][:5]]
        st.markdown("##### Scores over time, weakest topics")
        learning.progress_chart(tools.progress.attempts(learner), shown)
        st.dataframe(
            report["topics"],
            hide_index=True,
            column_config={
                "mastery": st.column_config.ProgressColumn(
                    "Mastery", min_value=0.0, max_value=1.0, format="percent"
                ),
                "weak": st.column_config.CheckboxColumn("Weak"),
            },
        )
