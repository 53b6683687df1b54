"""Measuring the jobs on labelled corpora: retrieval (dense, lexical, hybrid and the common
peer recipe side by side), pitches against scenarios and objection responses against key
points. May import every layer below the shells, and the service."""
