"""Enablement: quizzes (fact pool, generators, grading), objection drills, the pitch coach,
learner progress, and their LLM variants. May import everything but ``cli`` and the service."""
