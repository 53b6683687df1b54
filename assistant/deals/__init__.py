"""The deal room: meetings notes become a deal record whose every field quotes the notes, a
forecast call with its signs, a close plan from the knowledge base's own process documents,
and a pipeline view. Deals live in SQLite in the knowledge store (``store``); nothing here is
guessed: a field the notes do not say stays empty.

May import ``core``, ``understand``, ``index``, ``retrieval``, ``personas``, ``jobs`` and
``writers`` (an LLM extracts when one is configured; the same verifier checks it).
"""
