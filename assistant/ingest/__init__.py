"""Files → documents → chunks → the index: loaders (the only ``pypdf`` and ``bs4`` imports),
heading-aware chunking (the only LangChain import), the incremental pipeline and uploads.
May import ``core`` and ``index``."""
