"""Finding evidence: hybrid search, sentence-level support and the decision to abstain, and
the evidence records every plan is made of. May import ``core`` and ``index``."""
