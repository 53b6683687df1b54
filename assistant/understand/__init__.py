"""Understanding passages by what they say: each passage's role (capability, outcome, proof,
comparison, question → answer, pricing, security, process, buyer persona, open question,
instruction to an AI), with a reason and a confidence. May import only ``core``: the embedding
model comes in as a function, so ingest and the index can both use it."""
