"""Domain answers to API models: citations, results, short answers."""

from __future__ import annotations

from feedback.store import FeedbackStore, Surface
from index.deciding.answer import Answer, Answerer
from index.disk.manifest import IndexManifest
from index.ranking.search import Filters
from service.schemas import QueryFilters, Result, ShortAnswerOut


def citation(section: str, question: str, *headings: str) -> str:
    """"Section › Question" (› the headings above the passage, in a long article)."""
    return " › ".join(part for part in (section, question, *headings) if part)


def to_filters(f: QueryFilters | None) -> Filters | None:
    if f is None:
        return None
    as_set = lambda values: frozenset(values) if values is not None else None  # noqa: E731
    return Filters(documents=as_set(f.documents), sections=as_set(f.sections), langs=as_set(f.langs))


def to_results(answer: Answer) -> list[Result]:
    marks = answer.highlights or ((),) * len(answer.hits)
    return [
        Result(rank=hit.rank, score=round(hit.score, 4), similarity=round(hit.similarity, 4), passage=hit.chunk.text,
               document=hit.chunk.document_title, document_id=hit.chunk.document_id, section=hit.chunk.section,
               question=hit.chunk.question, entry_id=hit.chunk.entry_id, chunk_id=hit.chunk.id,
               citation=citation(hit.chunk.section, hit.chunk.question, *hit.chunk.headings),
               url=hit.chunk.url or None, lang=hit.chunk.lang, highlights=list(spans))
        for hit, spans in zip(answer.hits, marks)
    ]


def to_short_answer(answer: Answer) -> ShortAnswerOut | None:
    if answer.short_answer is None:
        return None
    a, top = answer.short_answer, answer.hits[0].chunk
    return ShortAnswerOut(text=a.text, entry_id=top.entry_id, start=a.start, end=a.end, source_start=top.start + a.start,
                          source_end=top.start + a.end, highlights=list(a.highlights), lang=top.lang)


def below_threshold(answer: Answer, answerer: Answerer) -> int:
    """The results not claimed as the answer: all of them unless the outcome is `answer`, then all but the first."""
    if answerer.calibration is None:
        return 0
    return max(len(answer.hits) - (1 if answer.outcome == "answer" else 0), 0)


def log_answer(store: FeedbackStore, question: str, surface: Surface, answer: Answer, session: str | None = None,
               query_id: str | None = None) -> str:
    """Record the query for analytics (with its detected language and typing session); feedback refers to the returned id."""
    top = answer.hits[0].entry_id if answer.hits else None
    return store.log_query(question, surface, answer.answerable, answer.confidence, top, lang=answer.question_lang, session=session,
                           query_id=query_id, outcome=answer.outcome, rules=answer.rules_fired)


def calibration_of(manifest: IndexManifest) -> dict[str, str | None]:
    """How the index's "no answer" threshold was set: `labelled` (with the set), `label-free`, or null (answers everything)."""
    info = manifest.calibration
    return {"calibration": info.method if info else None, "calibration_source": info.source if info else None}
