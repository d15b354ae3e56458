"""The manifest that says what an index folder holds, so a mismatch is caught before any search."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from index.disk.calibration import Calibration

FORMAT_VERSION = 1
MANIFEST = "manifest.json"  # the file in an index folder: written last, so a folder with it is complete


class IndexManifest(BaseModel):
    """Written last into the index folder; loading checks it against the files and the embedder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    embedder: str = Field(description="the primary embedder: the one every query is embedded with")
    dim: int = Field(gt=0)
    extra_embedders: dict[str, int] = Field(default_factory=dict, description="ensemble members: name -> dimension")
    sentence_model: str | None = Field(
        None, description="the model whose sentence vectors the folder stores for short answers (index.disk.sentence_vectors); "
                          "None: none stored, each passage's sentences are embedded on first use")
    corpus_checksum: str
    document_count: int = Field(ge=0)
    entry_count: int = Field(ge=0)
    chunk_count: int = Field(ge=0)
    vector_count: int = Field(ge=0)
    vector_kinds: tuple[str, ...]
    built_at: str
    build_seconds: float = Field(ge=0)
    calibration: Calibration | None = None  # index.disk.calibration: the fit's own type, stored as it is
