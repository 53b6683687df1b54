"""Finding evidence: hybrid search, sentence-level support and the decision to abstain, the
evidence records every plan is made of, and the retrieval evaluation. May import ``core``,
``index`` and (for the peer recipe in the evaluation) ``ingest``."""
