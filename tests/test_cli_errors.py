"""How a command ends on a known error: the message whole, on one line, as written."""

import pytest
import typer

from cli.shell import fail


def test_an_error_message_is_printed_whole_on_one_line_with_its_brackets(capsys):
    path = "/tmp/" + "a-very-long-folder-name/" * 12 + "questions.jsonl"
    with pytest.raises(typer.Exit) as ended:
        fail(ValueError(f"{path}:2: relevant_questions names [no entry]"))
    printed = capsys.readouterr().err
    assert ended.value.exit_code == 1
    assert f"error: {path}:2: relevant_questions names [no entry]" in printed
