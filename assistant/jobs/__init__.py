"""The product's jobs as plans: what to say to whom, with the evidence for each sentence
(pitch, objection, upsell, ask), and the verifier every draft passes. Plans are written by
``writers``; jobs never import a writer. May import ``core``, ``index``, ``retrieval`` and
``personas``."""
