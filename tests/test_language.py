"""The language identifier's disk cache: the model restricted to a FAQ's candidates, read back, scores as the one made."""


def test_the_identifier_read_back_from_its_cache_scores_as_the_one_made(tmp_path, monkeypatch):
    import numpy as np

    import faq.language as language

    monkeypatch.setattr(language, "CACHE", tmp_path)
    langs = language.candidates(["fr"])
    made = language._identifier.__wrapped__(langs)  # written to the cache
    (cached,) = tmp_path.iterdir()
    read_back = language._read_cached(cached)
    assert read_back is not None and read_back.nb_classes == made.nb_classes
    assert np.array_equal(read_back.nb_ptc, made.nb_ptc)
    # the 9.8 million transitions compared as arrays: the same check as list() == list(), without 0.7 s of CPU
    assert np.array_equal(np.asarray(read_back.tk_nextmove), np.asarray(made.tk_nextmove))
    for text in ("Comment changer le bracelet de ma montre ?", "How long does the battery last?", "Wie lange hält der Akku?"):
        assert read_back.classify(text) == made.classify(text)
    (cached / "nextmove.npy").write_bytes(b"damaged")
    assert language._read_cached(cached) is None  # made again from py3langid's file, not served


def test_the_cached_transition_table_is_mapped_from_its_file_not_read_into_the_process(tmp_path, monkeypatch):
    """37 MB of the 46 the identifier takes: mapped, its pages are the file's, shared by every worker that maps it."""
    import numpy as np

    import faq.language as language

    monkeypatch.setattr(language, "CACHE", tmp_path)
    langs = language.candidates(["fr"])
    language._identifier.__wrapped__(langs)
    read_back = language._identifier.__wrapped__(langs)
    assert isinstance(read_back.tk_nextmove, memoryview) and isinstance(read_back.tk_nextmove.obj, np.memmap)
    assert read_back.classify("Comment changer le bracelet de ma montre ?")[0] == "fr"
