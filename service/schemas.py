"""Request and response models of the HTTP API; they are the OpenAPI contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from faq.limits import MAX_MESSAGE_CHARS, MAX_QUESTION_CHARS, MAX_SUGGESTIONS, MAX_TOP_K
from index.deciding.decide import Outcome
from ingest.helpcenter import HelpCenter

# Said in the OpenAPI schema so generated clients and fuzzers know it; checked by the validators
# below, which give a readable message instead of a regular expression.
TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"


class QueryFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[str] | None = Field(None, max_length=50, description="document ids to search in")
    sections: list[str] | None = Field(None, max_length=50, description="section titles to search in")
    langs: list[str] | None = Field(None, max_length=20, description="entry languages to search in")


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="what the customer asked, in any language",
                          json_schema_extra={"pattern": TEXT_PATTERN})
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="how many FAQ entries to return (default FAQ_DEFAULT_TOP_K, 5)")
    filters: QueryFilters | None = None
    surface: Literal["search", "api"] = Field("api", description="who asks: the search page, or any other client")
    session: str | None = Field(None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                description="one burst of search-as-you-type (random, per page load and burst): "
                                            "analytics count only the last query of a session")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must contain some text, not only spaces")
        if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
            raise ValueError("question must not contain control characters")
        return value


class Result(BaseModel):
    rank: int
    score: float = Field(description="fused ranking score (z-scores of the models); only its order is meaningful")
    similarity: float = Field(description="the dense models' mean similarity for this entry; the threshold applies to it less "
                                          "half the question's similarity to the nearest known out-of-scope question")
    passage: str = Field(description="the answer text as written in the FAQ")
    document: str = Field(description="title of the FAQ document")
    document_id: str
    section: str
    question: str = Field(description="the FAQ's own question this passage answers")
    entry_id: str
    chunk_id: str
    citation: str = Field(description='"Section › Question", ready to show')
    url: str | None = Field(None, description="the article's address when the FAQ source has one; the citation links to it")
    lang: str = Field("", description="the language of this entry's text")
    highlights: list[tuple[int, int]] = Field(description="spans of words matching the question, as offsets in `passage`")


class ShortAnswerOut(BaseModel):
    text: str = Field(description="the one or two sentences of the first result that answer the question")
    entry_id: str
    start: int = Field(description="offset of `text` in the first result's passage")
    end: int
    source_start: int = Field(description="offset of `text` in the source FAQ file")
    source_end: int
    highlights: list[tuple[int, int]] = Field(description="spans of matched words, as offsets in the passage")
    lang: str = Field("", description="the answer's language: the question's whenever the FAQ has that version, else the best available")


class QueryResponse(BaseModel):
    question: str
    query_id: str = Field(description="refer to it in POST /v1/feedback")
    index_version: str = Field(description="the index version that produced every part of this response")
    answerable: bool = Field(description="true only when `outcome` is `answer`")
    outcome: Outcome = Field("none", description="answer: a confident short answer; related: plausible entries shown as related "
                                                 "articles, no answer claimed; none: nothing in the FAQ is relevant")
    confidence: float = Field(ge=0, le=1, description="the probability that the first result answers the question")
    answer: ShortAnswerOut | None = Field(description="the short answer, when answerable")
    results: list[Result] = Field(description="best first; returned even when not answerable, as possibly related entries")
    below_threshold: int = Field(description="how many of the returned results are not claimed as the answer (all but the "
                                             "first when `outcome` is `answer`)")
    filtered_out: int = Field(description="how many entries the filters excluded")
    took_ms: float
    question_lang: str = Field("unknown", description="the question's detected language (ISO 639-1), or 'unknown' for text too short to tell")
    corrected: str | None = Field(None, description="the question as searched when misspelt words were corrected to the FAQ's "
                                                    "(\"livraisn\" -> \"livraison\"): show it as \"results for …\"; null when searched as typed")


class QuestionInfo(BaseModel):
    entry_id: str
    question: str
    hidden: bool = Field(False, description="taken out of answers by a hidden rule (listed only with include_hidden, for admins)")


class SectionInfo(BaseModel):
    title: str
    questions: list[QuestionInfo]


class DocumentInfo(BaseModel):
    id: str
    title: str
    lang: str
    source: str
    sections: list[SectionInfo]


class DocumentsResponse(BaseModel):
    documents: list[DocumentInfo]
    calibration: str | None = Field(None, description="how 'no answer' was calibrated: labelled, label-free, or null (never refuses)")
    calibration_source: str | None = Field(None, description="what it was calibrated on")
    helpcenter: HelpCenter = Field(description="the help center's name, contacts and suggested topics (as GET /v1/helpcenter)")


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class SuggestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="the customer's whole message, greetings and all",
                         json_schema_extra={"pattern": TEXT_PATTERN})
    top_k: int = Field(MAX_SUGGESTIONS, ge=1, le=MAX_TOP_K // 2, description="suggested entries per question")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return QueryRequest._not_blank(value)


class Suggestion(BaseModel):
    question: str = Field(description="one question found in the message, with the sentences that give it context")
    query_id: str = Field(description="refer to it in POST /v1/feedback")
    answerable: bool
    outcome: Outcome = Field("none", description="answer, related or none, as in POST /v1/query")
    confidence: float
    answer: ShortAnswerOut | None
    results: list[Result]
    question_lang: str = Field("unknown", description="this question's detected language (ISO 639-1), or 'unknown'")
    corrected: str | None = Field(None, description="this question as searched when misspelt words were corrected, as in POST /v1/query")


class SuggestResponse(BaseModel):
    suggestions: list[Suggestion]
    no_question: bool = Field(False, description="true when the message asks nothing (only thanks, greetings or a signature): no suggestions")
    index_version: str
    took_ms: float


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query_id: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    entry_id: str = Field(min_length=1, max_length=300)
    verdict: Literal["used", "not_relevant", "helpful", "not_helpful", "click"] = Field(
        description='"click": the person opened the article or the full answer (click-through)')


class FeedbackResponse(BaseModel):
    recorded: bool = True


class QuestionCount(BaseModel):
    question: str
    count: int


class EntryCount(BaseModel):
    entry_id: str
    question: str | None
    count: int


class DayCount(BaseModel):
    day: str = Field(description="UTC date, YYYY-MM-DD")
    queries: int
    unanswered: int


class LangCount(BaseModel):
    lang: str = Field(description="the question's detected language, or 'unknown'")
    queries: int
    unanswered: int
    engaged: int = Field(description="searches followed by a click, a 'used' or a 'helpful' verdict")


class GapGroup(BaseModel):
    question: str = Field(description="the group's most asked question")
    count: int = Field(description="searches over the whole group")
    questions: list[QuestionCount] = Field(description="the similar questions of the group, most asked first")


class AnalyticsResponse(BaseModel):
    queries: int = Field(description="counted searches: a search-as-you-type session counts once")
    unanswered: int
    top_questions: list[QuestionCount]
    unanswered_questions: list[QuestionCount]
    not_relevant_entries: list[EntryCount]
    per_day: list[DayCount] = Field([], description="the last 30 days, oldest first")
    by_language: list[LangCount] = []
    gaps: list[GapGroup] = Field([], description="unanswered questions grouped by similarity (content gaps)")
    helpful_rate: float | None = Field(None, description="helpful among helpful + not helpful verdicts; null without any")
    click_through: float | None = Field(None, description="share of counted searches with a click, 'used' or 'helpful'")


class AdminStatus(BaseModel):
    enabled: bool = Field(description="false when FAQ_ADMIN_TOKEN is not set")
    signed_in: bool
    role: Literal["admin", "agent"] | None = Field(None, description="what the session may do: admin (the team pages) or "
                                                         "agent (mark answers used)")


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=500)


class PhrasingOut(BaseModel):
    id: int
    entry_id: str
    text: str
    status: str
    entry_question: str | None = Field(None, description="the entry's own question in the served index (null when not served)")


class PhrasingReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool


class ReloadResponse(BaseModel):
    index_version: str = Field(description="the version now served")
    ok: bool = Field(description="false when the new version failed to load and the previous one is still served")
    reason: str | None = None
