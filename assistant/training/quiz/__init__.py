"""Quizzes built from the knowledge base, and their grading. Nothing is invented: every
question comes from one verbatim, cited sentence (``maker`` has the whole story)."""
