"""store.queries.from_index_or_files: the one rule by which `report` and `history` choose
between the results index and the run files."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchbot.errors import UserError
from benchbot.store.queries import from_index_or_files, run_files


def test_the_index_answers_and_what_it_said_is_passed_on() -> None:
    said: list[str] = []

    def index(warn):  # type: ignore[no-untyped-def]
        warn("skipped broken.json")
        return ["from the index"]

    chosen = from_index_or_files(index, lambda: pytest.fail("files read"), said.append)
    assert chosen.value == ["from the index"] and chosen.indexed
    assert said == ["skipped broken.json"]


@pytest.mark.parametrize("answer", [None, []])
def test_no_answer_from_the_index_reads_the_files_and_keeps_its_words(answer: object) -> None:
    said: list[str] = []

    def index(warn):  # type: ignore[no-untyped-def]
        warn("cannot use the results index")
        return answer

    chosen = from_index_or_files(index, lambda: ["from the files"], said.append)
    assert chosen.value == ["from the files"] and not chosen.indexed
    assert said == []


def test_strict_reads_the_files_when_the_index_said_anything() -> None:
    def index(warn):  # type: ignore[no-untyped-def]
        warn("skipped broken.json")
        return ["from the index"]

    chosen = from_index_or_files(index, lambda: ["from the files"], strict=True)
    assert chosen.value == ["from the files"] and not chosen.indexed


def test_without_the_index_it_is_never_asked() -> None:
    chosen = from_index_or_files(lambda warn: pytest.fail("index asked"), lambda: [1],
                                 use_index=False)
    assert chosen.value == [1] and not chosen.indexed


def test_no_run_file_is_one_line_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^no results in .*: run `benchbot run` first, or "
                                        r"point --results at a folder of runs$"):
        run_files([tmp_path])
