"""Plans → drafts: the ``Writer`` interface, the offline grounded composer, the LLM writer
(the only ``openai`` import), prompt templates (the only ``jinja2`` import), sources and token
counting (the only ``tiktoken`` import). May import ``core``, ``index``, ``retrieval``,
``personas`` and ``jobs`` (the plan records)."""
