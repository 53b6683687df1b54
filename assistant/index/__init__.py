"""Where chunks live and how they are found: the manifest (the source of truth), the vector
store (the only ``chromadb`` import), the BM25 index, the embedder (the only
``sentence_transformers`` import), the feature catalog, and ``KnowledgeBase``, which holds them
together. May import ``core`` and ``understand``."""
