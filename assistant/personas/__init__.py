"""Buyer personas: the file schema, phrasing templates, job-title words and the resolver.

May import ``core`` (and the ``index`` Embedder interface for resolving titles by meaning).
"""
