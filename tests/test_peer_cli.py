"""python -m benchmarks.peer's command line (no model loads: the comparison itself is tests/test_peer.py's)."""

from pathlib import Path

import pytest

from benchmarks.peer import _pair_name, main


def test_the_peer_benchmark_takes_corpus_and_questions_in_pairs(capsys):
    """python -m benchmarks.peer on any FAQ: --corpus and --queries come together (checked before any model loads)."""
    with pytest.raises(SystemExit):
        main(["--corpus", "corpus", "--split", "dev"])
    assert "--corpus and --queries come in pairs" in capsys.readouterr().err
    assert _pair_name(Path("var/decision/corpora/clinc-work-en"), Path("q/questions.jsonl")) == "clinc-work-en/questions"
