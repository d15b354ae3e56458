"""Request and response models of the HTTP API; they are the OpenAPI contract."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=1000, description="what the customer asked, in any language")
    top_k: int = Field(5, ge=1, le=20, description="how many FAQ entries to return")

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
    score: float = Field(description="cosine similarity of the best-matching vector of this entry")
    passage: str = Field(description="the answer text as written in the FAQ")
    document: str = Field(description="title of the FAQ document")
    document_id: str
    section: str
    question: str = Field(description="the FAQ's own question this passage answers")
    entry_id: str
    chunk_id: str
    citation: str = Field(description='"Section › Question", ready to show')


class QueryResponse(BaseModel):
    question: str
    results: list[Result]
    took_ms: float


class QuestionInfo(BaseModel):
    entry_id: str
    question: str


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


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody
