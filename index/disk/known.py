"""The vectors of calibration's known questions (known out-of-scope questions, generic off-topic lines), kept beside the manifest.

A searcher compares every question with them; without this file it embeds all of them whenever an
index is opened (about 300 off-topic lines for a label-free index: ~0.3 s at every start and
reload). One file for every model, `known-questions.npz`: for model i, `model_i` (its name),
`texts_i` (each question as it was embedded) and `vectors_i`. It is a cache keyed by text: a
question missing from it is embedded, so a stale or missing file costs time, never a wrong answer.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from faq.files import write_atomically

log = logging.getLogger("faq.index")

KNOWN = "known-questions.npz"
# every question label-free calibration embedded itself (terse versions of the FAQ's questions, off-topic lines), in the
# same format: the next ingest's calibration takes their vectors from the served version instead of embedding them again
CALIBRATION_QUERIES = "calibration-queries.npz"

Vectors = Mapping[str, Mapping[str, np.ndarray]]  # model name -> text as embedded -> vector


def save_known(folder: Path, vectors: Vectors, file: str = KNOWN) -> None:
    """Write atomically (a reader sees the old file or the new one)."""
    arrays: dict[str, np.ndarray] = {}
    for i, (name, by_text) in enumerate(sorted(vectors.items())):
        texts = list(by_text)
        arrays[f"model_{i}"] = np.array(name)
        arrays[f"texts_{i}"] = np.array(texts, dtype=str)
        arrays[f"vectors_{i}"] = (np.stack([by_text[t] for t in texts]).astype(np.float32) if texts
                                  else np.empty((0, 0), np.float32))
    # numpy's stubs type **kwds as if a key could be savez's own allow_pickle: these are model_N, texts_N, vectors_N
    write_atomically(folder / file, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def load_known(folder: Path, file: str = KNOWN) -> dict[str, dict[str, np.ndarray]]:
    """What `save_known` wrote; empty when there is no file or it cannot be read (the questions are then embedded)."""
    path = folder / file
    try:
        with np.load(path, allow_pickle=False) as saved:
            count = sum(1 for key in saved.files if key.startswith("model_"))
            return {str(saved[f"model_{i}"]): dict(zip(saved[f"texts_{i}"].tolist(), saved[f"vectors_{i}"]))
                    for i in range(count)}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        log.warning("%s cannot be read (%s): its questions will be embedded at every open; rerun faq calibrate", path, e)
        return {}
