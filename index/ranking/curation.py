"""The team's rules (faq.curation) applied to one searcher's index at query time, without re-embedding the FAQ.

`Curated` is a `Rules` compiled once per rules version for one searcher: the hidden entries as a mask, the synonyms
as analysed term sequences per language, the pins' example questions embedded by each dense model. The searcher
(index.ranking.search.Searcher.rank) asks it three things per question, each a few microseconds:

- `expand`: the question with the synonyms of the terms it says appended, for BM25 and (`dense`, the searcher's
  default) for the dense models, so nothing is embedded twice (README "Curation" for the measurement);
- `hidden`: the entries no question may get;
- `pin`: the pin whose examples the question is closest to, when close enough (`PIN_THRESHOLD`, measured), or, for
  an answer pin, when closer than `PIN_FLOOR` and by `PIN_MARGIN` more than to any other entry's own question or
  phrasing (a pin's examples are phrasings the team adds to its entry: they win where they are the nearest); for a
  "never" pin, at `NEVER_FLOOR` or more and by `NEVER_MARGIN` more than to any entry's question or phrasing (questions
  the FAQ does not answer: they win where they are nearer than anything the FAQ answers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from faq.curation import Pin, Rules
from index.ranking.lexical import Analyzer
from index.ranking.spelling import Speller

__all__ = ["NEVER_FLOOR", "NEVER_MARGIN", "PIN_FLOOR", "PIN_MARGIN", "PIN_THRESHOLD", "Curated", "PinMatch", "compile_rules"]

# mean cosine (over the dense models: e5 int8 + USE) between a question and a pin's closest example at or above which
# the pin fires. Measured (benchmarks/curation.py, README "Curation"): the closest watch-faq dev question to a pin of
# another entry scored 0.795, so 0.80 takes no dev question from its right entry; 60% of the paraphrases written for
# the pins reach it (0.70 would fire on 88%, and take dev questions).
PIN_THRESHOLD = 0.80
# below the threshold, an answer pin still fires at PIN_FLOOR or more when its closest example is PIN_MARGIN closer to
# the question than the closest question or phrasing of any other entry (mean over the dense models of each model's
# closest). Measured end to end (python -m benchmarks.curation ... --margins, watch FAQ, the 5 pins' 40 paraphrases, the
# 76 dev questions; when first measured, 92.5% -> 95%): with decision model 5, 2026-12-07, the paraphrases
# answered with their pin's result 85% at the threshold alone -> 87.5% (34 -> 35 of 40; 95% with the never pin's floor
# below), no dev or test question taken from its right entry, the same 2 dev answers changed as at the threshold alone
# (both wrong -> right; on the test split 2, both wrong -> right). Floors 0.65-0.78 give the same; a margin of 0.02
# takes 1 dev question (0 or less: 2), 0.05 to 0.08 none, 0.10 loses a paraphrase. 0.08, the safe end: taking a dev
# question from its entry is the worse error.
PIN_FLOOR = 0.75
PIN_MARGIN = 0.08
# below the threshold, a "never" pin fires at NEVER_FLOOR or more when its closest example is NEVER_MARGIN closer to the
# question than the closest question or phrasing of any entry (the FAQ's own questions: what it answers). Measured end to
# end (python -m benchmarks.curation ... --margins, watch FAQ, 2026-12-07): the 40 paraphrases answered with their
# pin's result 87.5% -> 95% (35 -> 38: the three never paraphrases that stayed `related` under 0.80 are now `none`;
# scored 0.69-0.74 and 0.075-0.13 over the closest entry's question), the held-out paraphrases (HELD_OUT, not used to
# choose) 93.3% -> 96.7% (28 -> 29 of 30); no dev or test question given a pin not its own (answer or never), the 2
# dev answers that change beyond the answer pins' are 2 out-of-scope questions `related` -> `none`. A wide window:
# floors 0.60-0.68 with margins 0.0-0.07 all give the same 95% and no dev question refused (0.55 with -0.05 refuses
# one; a margin of 0.08 or a floor of 0.70 loses paraphrases; the closest answerable dev question is 0.035 *under* its
# closest entry's question, the closest test one 0.026 over it at 0.604). 0.65 and 0.05 sit inside it. The two answer
# paraphrases still missed are nearer another entry's question than the pin's examples in both models (one scores
# under the dev question "livraison gratuite a partir de combien d'achat ?" on every measure): no margin rule takes them.
NEVER_FLOOR = 0.65
NEVER_MARGIN = 0.05


@dataclass(frozen=True)
class PinMatch:
    pin: Pin
    similarity: float
    position: int | None  # the pinned entry's position in the index (None: a "never" pin, or its entry is gone)


@dataclass(frozen=True)
class _Variant:
    terms: tuple[str, ...]  # one synonym term as the analyzer cuts it
    extra: str  # what a question saying it is also searched for
    key: str  # the rule's key ("synonym:3")


@dataclass(frozen=True)
class Curated:
    """One rules version compiled for one searcher; built by `compile_rules`."""

    rules: Rules
    hidden: np.ndarray | None  # True for the entries taken out of every result; None: none hidden
    stale: frozenset[str]  # keys of rules whose entry or section this index does not have
    pin_vectors: tuple[np.ndarray, ...] = ()  # per dense model, the examples' vectors (examples × dim), rows in `pin_rows` order
    pin_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # each example row's pin (index into `pins`)
    pins: tuple[Pin, ...] = ()
    pin_positions: tuple[int | None, ...] = ()
    threshold: float = PIN_THRESHOLD
    dense: bool = False  # expand the question the dense models embed too
    floor: float = PIN_FLOOR
    margin: float = PIN_MARGIN
    never_floor: float = NEVER_FLOOR
    never_margin: float = NEVER_MARGIN
    # the searcher's speller with the words of the team's synonyms (terms and targets) beside the FAQ's: a misspelt
    # question is corrected to them too; None when the rules have no synonym, or the searcher corrects nothing
    speller: Speller | None = field(default=None, repr=False, compare=False)
    _synonyms: dict[str, tuple[Analyzer, dict[str, list[_Variant]]]] = field(default_factory=dict, repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)
    _sections: Sequence[str] = field(default=(), repr=False)

    @property
    def version(self) -> int:
        return self.rules.version

    def expand(self, question: str, langs: Sequence[str]) -> tuple[str, tuple[str, ...]]:
        """The question with the synonyms it triggers appended, and the keys of those rules (in rule order).

        `langs`: the question's detected language and the index's; a rule of another language does not apply."""
        extra: list[str] = []
        fired: list[str] = []
        for lang in dict.fromkeys(langs):
            found = self._synonyms.get(lang)
            if found is None:
                continue
            analyzer, by_first = found
            terms = analyzer.terms(question)
            for i, term in enumerate(terms):
                for variant in by_first.get(term, ()):
                    n = len(variant.terms)
                    if tuple(terms[i:i + n]) == variant.terms and variant.extra not in extra:
                        extra.append(variant.extra)
                        if variant.key not in fired:
                            fired.append(variant.key)
        return (f"{question} {' '.join(extra)}" if extra else question), tuple(fired)

    def hiding(self, position: int) -> tuple[str, ...]:
        """The keys of the hidden rules that take the entry at `position` out (none when it is not hidden)."""
        if self.hidden is None or not self.hidden[position]:
            return ()
        return tuple(h.key for h in self.rules.hidden
                     if (h.entry_id is not None and self._positions.get(h.entry_id) == position)
                     or (h.section is not None and self._sections[position] == h.section))

    def pin(self, query_vectors: Sequence[np.ndarray | None], elsewhere: Callable[[int | None], float] | None = None) -> PinMatch | None:
        """The pin with the example closest to the question (mean cosine over the dense models, each model's vector of the
        question in `query_vectors`: None for a model that weighs nothing for it, Ranking.dense_weights), if at the threshold;
        else the pin with the closest example at its kind's floor or above and by its kind's margin closer than
        `elsewhere(position)`: for an answer pin, the question's cosine to the closest question or phrasing of any entry
        but the pin's; for a never pin (`elsewhere(None)`), of any entry."""
        if not self.pins or not self.pin_vectors:
            return None
        # vectors are L2-normalised: the inner product is the cosine
        similarity = np.mean([vectors @ q for vectors, q in zip(self.pin_vectors, query_vectors) if q is not None], axis=0)
        best = int(np.argmax(similarity))
        if similarity[best] >= self.threshold:
            p = int(self.pin_rows[best])
            return PinMatch(self.pins[p], float(similarity[best]), self.pin_positions[p])
        lowest = min(self.floor, self.never_floor)
        if elsewhere is None or similarity[best] < lowest:
            return None
        tried: set[int] = set()
        for row in np.argsort(-similarity, kind="stable"):  # the examples at a floor or above, closest first
            if similarity[row] < lowest:
                break
            p = int(self.pin_rows[row])
            if p in tried:
                continue  # a pin is weighed at its closest example
            tried.add(p)
            position = self.pin_positions[p]
            floor, margin = (self.never_floor, self.never_margin) if position is None else (self.floor, self.margin)
            if similarity[row] >= floor and similarity[row] >= elsewhere(position) + margin:
                return PinMatch(self.pins[p], float(similarity[row]), position)
        return None


def compile_rules(rules: Rules, position: dict[str, int], sections: Sequence[str], analyzer_of: Callable[[str], Analyzer],
                  embedders: Sequence[Callable[[list[str]], np.ndarray]], threshold: float = PIN_THRESHOLD,
                  dense: bool = False, floor: float = PIN_FLOOR, margin: float = PIN_MARGIN, never_floor: float = NEVER_FLOOR,
                  never_margin: float = NEVER_MARGIN, speller: Speller | None = None) -> Curated:
    """Compile `rules` for an index whose entries are at `position` (by id) with `sections` (by position).

    `analyzer_of(lang)`: the analyzer the index's BM25 cuts that language with; `embedders`: each dense model's
    question embedding (as the searcher embeds a question: background words already stripped by the caller);
    `speller`: the searcher's (index.ranking.spelling), None when it corrects nothing."""
    n = len(sections)
    stale: set[str] = set()
    hidden = np.zeros(n, dtype=bool)
    for h in rules.hidden:
        if h.entry_id is not None:
            if h.entry_id in position:
                hidden[position[h.entry_id]] = True
            else:
                stale.add(h.key)
        elif h.section is not None:
            in_section = np.fromiter((s == h.section for s in sections), dtype=bool, count=n)
            if not in_section.any():
                stale.add(h.key)
            hidden |= in_section
    synonyms: dict[str, tuple[Analyzer, dict[str, list[_Variant]]]] = {}
    for s in rules.synonyms:
        analyzer, by_first = synonyms.setdefault(s.lang, (analyzer_of(s.lang), {}))
        cut = {t: tuple(analyzer.terms(t)) for t in (*s.terms, *s.targets)}
        for term in s.terms:
            if not cut[term]:
                continue  # a stopword alone: it never reaches BM25
            others = s.targets or tuple(t for t in s.terms if cut[t] != cut[term])
            if others:
                by_first.setdefault(cut[term][0], []).append(_Variant(cut[term], " ".join(others), s.key))
    pins = tuple(p for p in rules.pins if p.kind == "never" or p.entry_id in position)
    stale |= {p.key for p in rules.pins if p not in pins}
    examples = [x for p in pins for x in p.examples]
    rows = np.array([i for i, p in enumerate(pins) for _ in p.examples], dtype=np.int64)
    vectors = tuple(np.asarray(embed(examples), dtype=np.float32) for embed in embedders) if examples else ()
    positions = tuple(position[p.entry_id] if p.entry_id is not None else None for p in pins)
    words = list(dict.fromkeys(t for s in rules.synonyms for t in (*s.terms, *s.targets)))
    return Curated(rules, hidden if hidden.any() else None, frozenset(stale), vectors, rows, pins, positions, threshold, dense,
                   floor, margin, never_floor, never_margin, speller.with_words(words) if speller is not None and words else None,
                   synonyms, position, sections)
