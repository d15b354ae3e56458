"""Domain answers to API models: citations, results, short answers."""

from __future__ import annotations

from index.answer import Answer, Answerer
from index.search import Filters, Hit
from index.short_answer import highlights
from service.feedback import FeedbackStore, Surface
from service.schemas import QueryFilters, Result, ShortAnswerOut


def citation(section: str, question: str) -> str:
    return " › ".join(part for part in (section, question) if part)


def to_filters(f: QueryFilters | None) -> Filters | None:
    if f is None:
        return None
    as_set = lambda values: frozenset(values) if values is not None else None  # noqa: E731
    return Filters(documents=as_set(f.documents), sections=as_set(f.sections), langs=as_set(f.langs))


def to_result(hit: Hit, question: str, answerer: Answerer) -> Result:
    chunk = hit.chunk
    marks = highlights(question, chunk.text, answerer.extractor.analyzer) if answerer.extractor else ()
    return Result(
        rank=hit.rank, score=round(hit.score, 4), similarity=round(hit.similarity, 4), passage=chunk.text,
        document=chunk.document_title, document_id=chunk.document_id, section=chunk.section, question=chunk.question,
        entry_id=chunk.entry_id, chunk_id=chunk.id, citation=citation(chunk.section, chunk.question), highlights=list(marks),
    )


def to_short_answer(answer: Answer) -> ShortAnswerOut | None:
    if answer.short_answer is None:
        return None
    a, top = answer.short_answer, answer.hits[0].chunk
    return ShortAnswerOut(text=a.text, entry_id=top.entry_id, start=a.start, end=a.end, source_start=top.start + a.start,
                          source_end=top.start + a.end, highlights=list(a.highlights))


def below_threshold(answer: Answer, answerer: Answerer) -> int:
    if answerer.calibration is None:
        return 0
    return sum(1 for h in answer.hits if h.similarity < answerer.calibration.threshold)


def log_answer(store: FeedbackStore, question: str, surface: Surface, answer: Answer) -> str:
    """Record the query for analytics; the returned id is what feedback refers to."""
    top = answer.hits[0].entry_id if answer.hits else None
    return store.log_query(question, surface, answer.answerable, answer.confidence, top)
