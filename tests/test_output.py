"""Writing digests: atomic for files, harmless for devices."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from listdigest.cli.digest_cmd import write_output
from listdigest.errors import ListdigestError


def test_file_is_replaced_whole_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "digest.txt"
    old = os.umask(0o022)
    try:
        write_output("first\n", str(target))
        write_output("second\n", str(target))
    finally:
        os.umask(old)
    assert target.read_text() == "second\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["digest.txt"]  # no temp file left


def test_dev_null_is_written_to_not_replaced() -> None:
    write_output("text\n", "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_unwritable_place_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ListdigestError, match=r"^cannot write .*/file/digest\.txt: "):
        write_output("text\n", str(tmp_path / "file" / "digest.txt"))
