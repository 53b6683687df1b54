"""Customer-safe support for an objection: the sentences of the pages that bear on it most
(shared words and meaning), and the sections they came from, which an LLM writer reads whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.core.records import Chunk, Hit
from assistant.core.text import sentences
from assistant.index.catalog import CAPABILITY_ROLES
from assistant.index.filters import Filters
from assistant.index.kb import KnowledgeBase
from assistant.retrieval.evidence import Evidence, with_items
from assistant.retrieval.grounding import Grounder
from assistant.understand.market import is_table_row

SEARCH_K = 12  # passages searched for supporting sentences
TOPIC_K = 6  # ... and passages of the objection's topic
TOPICS = ("pricing", "security", "proof", "comparison")  # topics an objection is often about
NOT_EVIDENCE = ("process", "open_question", "instruction", "persona", "company")  # never quoted
WORDS_SHARE = 0.5  # a sentence's rank: shared words (IDF-weighted), then meaning
THEY_RE = re.compile(r"(?:they|their|theirs)\b", re.I)  # on a comparison page: the rival
ANAPHOR_RE = re.compile(r"(?:it|its|they|their|theirs|this|these|those)\b", re.I)  # "Its …"
WE_YOU_RE = re.compile(r"\b(?:we|our|you can|lets? you|allows? you)\b", re.I)
MIN_WORDS = 6
CUT_RE = re.compile(r"\b(?:and|or|but|the|a|an|of|to|with|for|in|on|that|which)\s*$", re.I)
MIN_MEANING = 0.2  # cosine to the objection below which a supporting sentence is off topic
MEANING_WITHOUT_WORDS = 0.4  # ... when it shares too few of the objection's words
PAGES, SECTIONS, PER_SECTION = 3, 2, 3  # support: the best pages, their closest sections
HIT_SECTIONS = 5  # ... and the best hits besides: context for an LLM writer
READ_PAGES = 5  # ... and the other sections of this many best pages (set on both dev corpora)
FIGURE_BONUS = 0.1  # extra evidence with a figure beats the same support without one
# Set by hand on the sample knowledge base's objections; not fitted to a labelled set.


class SupportFinder:
    def __init__(self, kb: KnowledgeBase, grounder: Grounder) -> None:
        self.kb = kb
        self.grounder = grounder

    def find(
        self,
        text: str,
        competitor: str | None,
        sayable: Callable[[str], bool],
        exclude: list[Evidence],
        hint: str = "",
    ) -> tuple[list[Evidence], list[Chunk]]:
        """Customer-safe sentences that bear on the objection, best first: the words they
        share with it (IDF-weighted) and their meaning, figures a little ahead; and the
        sections an LLM writer reads whole: those they were picked from, the best hits, then
        the other sections of the best pages.

        ``sayable`` tells the sentences the buyer may hear; ``hint`` is internal coaching for
        the same objection: it steers the search towards the facts a good answer uses, but
        only customer-safe sentences are returned.
        """
        query = f"{text} {hint}".strip()
        search = self.grounder.retriever.search
        hits = search(query, k=SEARCH_K, filters=Filters(audience="customer-safe")).hits
        # The passages of what the objection is about (pricing, security, proof…) too: a
        # conversational objection's words can pull every search towards chit-chat.
        topic = self.kb.role_classifier.topics(text, TOPICS)[:1]
        if topic:
            on_topic = Filters(audience="customer-safe", roles=tuple(topic))
            seen = {h.chunk.id for h in hits}
            hits += [
                h for h in search(query, k=TOPIC_K, filters=on_topic).hits if h.chunk.id not in seen
            ]
        hits = [h for h in hits if not h.chunk.has_role(*NOT_EVIDENCE)]
        if competitor:  # the pages that compare them first: claims about them come from there
            about = set(self.kb.market.pages.get(competitor, []))
            hits.sort(key=lambda h: h.chunk.source not in about)
        # An objection mixes the buyer's situation with what they ask: it has an answer when
        # any one of its sentences does ("our users are in France… where is data stored?").
        # Its words may all be the buyer's own ("no spare sysadmin… we moved to SaaS"): then
        # only a sentence close in meaning answers it.
        verdicts = [self.grounder.judge(part, hits[:5]) for part in sentences(text) or [text]]
        floor = MIN_MEANING
        if not hint and all(v.abstained for v in verdicts):
            if not any(v.thin for v in verdicts):
                return [], []
            floor = MEANING_WITHOUT_WORDS
        # Read the best pages whole: a conversational objection retrieves one passage of the
        # security page and five of chit-chat; the page's other sections hold the answer.
        pages = list(dict.fromkeys(h.chunk.source for h in hits))[:READ_PAGES]
        sections = [
            c
            for source in pages
            for c in self.kb.manifest.source_chunks(source)
            if not c.internal and not c.has_role(*NOT_EVIDENCE)
        ]
        query = self.kb.embedder.embed([text])[0]
        stored = self.kb.store.vectors([c.id for c in sections])
        closeness = {c.id: float(stored[c.id] @ query) if c.id in stored else 0.0 for c in sections}
        best: list[Chunk] = []
        order: dict[str, tuple[int, int]] = {}  # chunk id -> (section rank, page rank)
        for page, source in enumerate(pages[:PAGES]):
            mine = [c for c in sections if c.source == source]
            for rank, c in enumerate(sorted(mine, key=lambda c: -closeness[c.id])[:SECTIONS]):
                best.append(c)
                order[c.id] = (rank, page)
        used = {e.text for e in exclude}
        candidates = [
            s
            for s in self.grounder.supports(text, [Hit(c, closeness[c.id]) for c in best])
            if s.sentence not in used
            and sayable(s.sentence)
            and self._ours(s.sentence, s.chunk, competitor)
            and len(s.sentence.split()) >= MIN_WORDS
            and not s.sentence.rstrip().endswith("?")
            and (s.sentence[:1].isupper() or s.sentence[:1] in "\"“‘'0123456789")
            # ^ not the tail of a sentence split mid-way
            and not CUT_RE.search(s.sentence)  # ... or its head
        ]
        # A lead-in ("Retention depends on your plan:") comes with the rows it introduces.
        told = [self._told(Evidence(s.sentence, s.chunk), competitor) for s in candidates]
        kept = [
            (s, e) for s, e in zip(candidates, told, strict=True) if e.said or e.text[-1] != ":"
        ]
        if not kept:
            return [], best
        vectors = self.kb.embedder.embed([e.said or e.text for _, e in kept])
        meaning = vectors @ query
        scored = sorted(
            (
                (
                    -(
                        WORDS_SHARE * s.score
                        + (1 - WORDS_SHARE) * float(m)
                        + FIGURE_BONUS * bool(re.search(r"\d", e.said or e.text))
                    ),
                    s.chunk.id,
                    s.sentence,
                ),
                e,
            )
            for (s, e), m in zip(kept, meaning, strict=True)
            if m >= floor
        )
        ranked = [e for _, e in scored]
        # Best sentence of each page's best section first, then the next ones.
        nth: dict[str, int] = {}
        keyed = []
        for e in ranked:
            nth[e.chunk.id] = nth.get(e.chunk.id, -1) + 1
            if nth[e.chunk.id] < PER_SECTION:
                keyed.append(((nth[e.chunk.id], *order[e.chunk.id]), e))
        read = best + [h.chunk for h in hits[:HIT_SECTIONS] if h.chunk not in best]
        # ... then the rest of the best pages, closest first, as many as its token budget holds.
        read += [c for c in sorted(sections, key=lambda c: -closeness[c.id]) if c not in read]
        return [e for _, e in sorted(keyed, key=lambda x: x[0])], read

    def _ours(self, sentence: str, chunk: Chunk, competitor: str | None) -> bool:
        """A sentence the rep can say: a table row only where we have what the buyer's rival
        lacks; a claim about the vendor or what it does (not a description of the buyer's
        problem, "channels become impossible to follow"), or comparing it in its own words
        ("Unlike Them, we…"), or about the competitor the buyer names, from a page that may
        speak for it. Never one about another competitor alone."""
        market = self.kb.market
        compared = chunk.source in market.compared_sources
        if market.concedes(sentence):
            return False  # "Them is the better fit": never the rep's answer
        if is_table_row(sentence):  # a row where we have what the buyer's rival lacks
            return bool(competitor) and market.row_edge(sentence, competitor)
        if compared and THEY_RE.match(sentence):
            return False  # "They charge by seat", with no name to tell whose
        named = set(market.mentioned(sentence))
        if competitor and named == {competitor} and market.may_claim(sentence, [chunk.source]):
            return True
        # On a comparison page a section's heading says whose it is; elsewhere ("Import from
        # a rival") it does not.
        section = " ".join(chunk.heading.split(" > ")[-2:]) if compared else ""
        if market.about_rival(sentence, section) or (compared and self._theirs(sentence, chunk)):
            return False
        return market.names_vendor(sentence) or (
            market.may_claim(sentence, [chunk.source]) and self._claims(sentence)
        )

    def goes_on_about_rival(self, sentence: str, chunk: Chunk) -> bool:
        """A sentence of a comparison page carrying on about a rival by pronoun ("Them is
        built for marketers. Its key features are…")."""
        compared = chunk.source in self.kb.market.compared_sources
        return compared and bool(ANAPHOR_RE.match(sentence)) and self._theirs(sentence, chunk)

    def _theirs(self, sentence: str, chunk: Chunk) -> bool:
        """A sentence naming no one in a paragraph about a rival ("Their pricing is complex.
        … The pro plan only gets 1,000 seats."): the last sentence before it that names a
        side says whose it is."""
        market = self.kb.market
        if market.mentioned(sentence) or market.names_vendor(sentence):
            return False
        for para in chunk.text.split("\n\n"):
            flat_para = " ".join(para.split())
            at = flat_para.find(sentence)
            if at < 0:
                continue
            for before in reversed(sentences(flat_para[:at])):
                if market.mentioned(before) or market.names_vendor(before):
                    return market.about_rival(before)
            return False
        return False

    def _told(self, e: Evidence, competitor: str | None) -> Evidence:
        """How the rep says it: a table row as its two sides ("Threads: Us has it, Them does
        not"), a lead-in with its list."""
        if competitor and is_table_row(e.text):
            return replace(e, said=self.kb.market.row_said(e.text, competitor))
        return with_items(e)

    def _claims(self, sentence: str) -> bool:
        """A sentence that says what the product does or brings (the signals of the roles
        that describe it, a "we" or "you can", or a customer's own words)."""
        if WE_YOU_RE.search(sentence) or sentence.lstrip().startswith(('"', "“")):
            return True
        patterns = self.kb.roles.signal_patterns
        return any(p.search(sentence) for role in CAPABILITY_ROLES for p in patterns[role])
