"""The language identifier's disk cache: the model restricted to a FAQ's candidates, read back, scores as the one made."""

import shutil
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The identifier for a French FAQ's candidates made from py3langid's own model file, as `_identifier` makes it when
    nothing is cached, and the cache folder it wrote. Once for the module: reading py3langid's LZMA model is ~0.6 s of CPU."""
    import faq.language as language

    folder = tmp_path_factory.mktemp("langid")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(language, "CACHE", folder)
        identifier = language._identifier.__wrapped__(language.candidates(["fr"]))  # written to the cache
    return folder, identifier


def test_the_identifier_read_back_from_its_cache_scores_as_the_one_made(made, tmp_path):
    import numpy as np

    import faq.language as language

    folder, made_identifier = made
    (written,) = folder.iterdir()
    cached = tmp_path / written.name  # a copy: this test damages it
    shutil.copytree(written, cached)
    read_back = language._read_cached(cached)
    assert read_back is not None and read_back.nb_classes == made_identifier.nb_classes
    assert np.array_equal(read_back.nb_ptc, made_identifier.nb_ptc)
    # the 9.8 million transitions compared as arrays: the same check as list() == list(), without 0.7 s of CPU
    assert np.array_equal(np.asarray(read_back.tk_nextmove), np.asarray(made_identifier.tk_nextmove))
    for text in ("Comment changer le bracelet de ma montre ?", "How long does the battery last?", "Wie lange hält der Akku?"):
        assert read_back.classify(text) == made_identifier.classify(text)
    (cached / "nextmove.npy").write_bytes(b"damaged")
    assert language._read_cached(cached) is None  # made again from py3langid's file, not served


def test_the_cached_transition_table_is_mapped_from_its_file_not_read_into_the_process(made, monkeypatch):
    """37 MB of the 46 the identifier takes: mapped, its pages are the file's, shared by every worker that maps it."""
    import numpy as np

    import faq.language as language

    monkeypatch.setattr(language, "CACHE", made[0])
    read_back = language._identifier.__wrapped__(language.candidates(["fr"]))
    assert isinstance(read_back.tk_nextmove, memoryview) and isinstance(read_back.tk_nextmove.obj, np.memmap)
    assert read_back.classify("Comment changer le bracelet de ma montre ?")[0] == "fr"
