"""Inside a capture, sys.stdout and sys.stderr behave as the real streams they stand in for."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_fixtures import SRC
from stepstone.execution import capture
from stepstone.execution.capture import capture_output
from stepstone.text import storable_text


def install_console(monkeypatch: pytest.MonkeyPatch) -> io.TextIOWrapper:
    """A real text stream over bytes (the type sys.stdout is), installed as sys.stdout.

    Called in the test body: pytest puts its own capture back on sys.stdout after fixtures.
    """
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def console_bytes(stream: io.TextIOWrapper) -> bytes:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


def test_binary_writes_reach_the_console_and_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    console = install_console(monkeypatch)
    with capture_output() as logs:
        print("text")
        sys.stdout.buffer.write(b"\x89PNG\r\n")
        sys.stdout.buffer.write("é".encode()[:1])  # a character split across two writes
        sys.stdout.buffer.write(bytearray("é".encode()[1:]))
        sys.stdout.buffer.writelines([memoryview(b"\x00end")])
        sys.stdout.buffer.flush()
    assert console_bytes(console) == b"text\n\x89PNG\r\n\xc3\xa9\x00end"
    assert logs.text == "text\n\\x89PNG\r\né\\x00end"


def test_a_wrong_type_raises_what_the_real_stream_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    console = install_console(monkeypatch)
    expected: dict[object, str] = {}
    for value in (b"oops", None, 3):
        with pytest.raises(TypeError) as real:
            console.write(value)  # type: ignore[arg-type]
        expected[value] = str(real.value)
    with pytest.raises(TypeError) as real_buffer:
        console.buffer.write("text")  # type: ignore[arg-type]

    with capture_output() as logs:
        for value, message in expected.items():
            with pytest.raises(TypeError) as inside:
                sys.stdout.write(value)  # type: ignore[arg-type]
            assert str(inside.value) == message
        with pytest.raises(TypeError) as inside_buffer:
            sys.stdout.buffer.write("text")  # type: ignore[arg-type]
        assert str(inside_buffer.value) == str(real_buffer.value)
        print("still fine")
    assert logs.text == "still fine\n"
    assert console_bytes(console) == b"still fine\n"


def test_the_stream_answers_are_the_consoles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary, secondary = os.openpty()
    with (
        open(secondary, "w", encoding="utf-8", closefd=True) as terminal,
        open(tmp_path / "out.txt", "w", encoding="latin-1", errors="replace") as file,
    ):
        monkeypatch.setattr(sys, "stdout", terminal)
        monkeypatch.setattr(sys, "stderr", file)
        with capture_output() as logs:
            assert sys.stdout.isatty() and sys.stdout.fileno() == secondary
            assert not sys.stderr.isatty() and sys.stderr.fileno() == file.fileno()
            assert (sys.stderr.encoding, sys.stderr.errors) == ("latin-1", "replace")
            assert sys.stderr.newlines == file.newlines
            assert sys.stderr.name == file.name and sys.stderr.mode == "w"  # passed through
            sys.stderr.writelines(["a\n", "ü\n"])
            sys.stderr.flush()
            assert (tmp_path / "out.txt").read_bytes() == b"a\n\xfc\n"
    os.close(primary)
    assert logs.text == "a\nü\n"


def test_a_console_without_a_buffer_has_none_inside_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with capture_output():
        with pytest.raises(AttributeError):
            sys.stdout.buffer  # noqa: B018


UNSTORABLE = st.characters(exclude_categories=())  # every code point, surrogates and NUL too


@given(st.lists(st.text(alphabet=UNSTORABLE, max_size=40), max_size=8))
def test_any_text_is_logged_storably(parts: list[str]) -> None:
    sys_stdout = sys.stdout
    sys.stdout = io.StringIO()  # a console that accepts surrogates, like a surrogateescape one
    try:
        with capture_output() as logs:
            for part in parts:
                sys.stdout.write(part)
        console_text = sys.stdout.getvalue()  # type: ignore[attr-defined]
    finally:
        sys.stdout = sys_stdout
    assert console_text == "".join(parts)  # the console sees exactly what was written
    logs.text.encode("utf-8")  # no lone surrogate
    assert "\x00" not in logs.text
    assert logs.text == storable_text("".join(parts))


@given(st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"])))
def test_storable_text_keeps_storable_text_as_it_is(text: str) -> None:
    assert storable_text(text) is text


def test_storable_text_shows_escaped_bytes_as_bytes() -> None:
    name = os.fsdecode(b"caf\xe9.csv")  # what os.listdir returns for a non-UTF-8 name
    assert storable_text(f"reading {name}\x00 \ud83d") == "reading caf\\xe9.csv\\x00 \\ud83d"


@given(st.lists(st.text(alphabet="ab\n\udce9", max_size=30) | st.binary(max_size=30), max_size=30))
def test_a_long_log_keeps_its_head_and_tail_in_bounded_memory(parts: list[str | bytes]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(capture, "MAX_LOG_CHARS", 20)
        patch.setattr(capture, "_HALF", 10)
        sink = capture._LogSink(parent=None)
        for part in parts:
            sink.append(part)
            held = sink._head_size + sink._tail_size
            assert held <= 20 + 30  # the budget plus at most one part
        text = sink.text()
    units = [c for p in parts for c in (p if isinstance(p, str) else [bytes([b]) for b in p])]
    if len(units) <= 20:
        assert text == storable_text(capture._joined(units))
    else:
        marker = f"\n… [{len(units) - 20} characters dropped] …\n"
        assert text == storable_text(
            capture._joined(units[:10]) + marker + capture._joined(units[-10:])
        )


def test_very_long_lines_are_cut_in_the_middle() -> None:
    line = "x" * (3 * capture.MAX_LOG_CHARS)
    sys_stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        with capture_output() as logs:
            print("start", line, "end")
    finally:
        sys.stdout = sys_stdout
    half = capture.MAX_LOG_CHARS // 2
    dropped = len(line) + len("start  end\n") - 2 * half
    assert logs.text.startswith("start xxx") and logs.text.endswith("xxx end\n")
    assert f"\n… [{dropped} characters dropped] …\n" in logs.text
    assert len(logs.text) < capture.MAX_LOG_CHARS + 100


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONIOENCODING": "utf-8:surrogateescape"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.mark.slow
def test_a_warning_with_no_handler_configured_is_shown_once_and_logged() -> None:
    # pytest configures root handlers itself, so Python's last-resort printing (which the
    # capture's root handler disables and stands in for) needs a process of its own.
    result = run_python(
        """
        import logging, sys
        from stepstone.execution.capture import capture_output
        with capture_output() as logs:
            logging.getLogger("user").warning("careful")
            logging.getLogger("user").info("not shown: root is at WARNING")
        print(repr(logs.text))
        logging.basicConfig(format="configured %(message)s")
        with capture_output() as logs:
            logging.getLogger("user").warning("again")
        print(repr(logs.text))
        """
    )
    assert result.stdout.splitlines() == ["'WARNING user: careful\\n'", "'WARNING user: again\\n'"]
    assert result.stderr.splitlines() == ["careful", "configured again"]
