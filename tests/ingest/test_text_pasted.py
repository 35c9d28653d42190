"""The same console log clean and as captured or pasted gives the same series (issue 7, item 1).

Each transformation is what a capture or a paste adds around the program's own lines: a
timestamp, a Python ``logging`` format, a torchrun rank prefix, the ``> `` quote marker of a
GitHub issue with a blank line after every line, Windows line endings, ANSI colours, and
progress-bar states each on its own line (a paste that turned every ``\r`` into a newline).
"""

from __future__ import annotations

import pytest

from reporter.ingest import read_run

FIXTURES = ["nanogpt_iter_lines.log", "hf_v5_stdout_tqdm.log", "keras_verbose2.log",
            "keras_progress_bar_ansi.log", "epoch_train_val_lr.txt", "epoch_bracket_step.log",
            "mmengine_runner.log", "mlx_lm_lora.log", "bigdl_loss_infinity.log",
            "yolov7_console_nan.log", "ultralytics_v8_console.log", "lightning_progress_bar.log"]


def _each_line(text: str, prefix) -> str:
    lines = text.split("\n")
    return "\n".join(prefix(i) + line if line.strip() else line for i, line in enumerate(lines))


TRANSFORMS = {
    "timestamp": lambda t: _each_line(t, lambda i: f"2023-03-22 09:30:{i % 60:02d} "),
    "bracket_timestamp_ms": lambda t: _each_line(
        t, lambda i: f"[2023-03-22 09:30:39,{i % 1000:03d}] "),
    "iso_timestamp": lambda t: _each_line(t, lambda i: "2023-03-22T09:30:39.123Z "),
    "logging_asctime_name_level": lambda t: _each_line(
        t, lambda i: "2023-03-22 09:30:39,123 - __main__ - INFO - "),
    "hf_logging": lambda t: _each_line(t, lambda i: "03/22/2023 09:30:39 - INFO - __main__ - "),
    "logging_basic": lambda t: _each_line(t, lambda i: "INFO:root:"),
    "rank_prefix": lambda t: _each_line(t, lambda i: "[rank0]: "),
    "torchrun_tee": lambda t: _each_line(t, lambda i: "[default0]:"),
    "mpirun_tag_output": lambda t: _each_line(t, lambda i: "[1,0]<stdout>:"),
    "github_quote": lambda t: "\n".join(f"> {line}\n>" for line in t.split("\n")),
    "github_quote_blank": lambda t: "\n".join(f"> {line}\n" for line in t.split("\n")),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bar_states_as_lines": lambda t: t.replace("\r", "\n"),  # a paste that broke each \r
    "ansi": lambda t: _each_line(t, lambda i: "\x1b[32m").replace("\n", "\x1b[0m\n"),
    "rank_timestamp_crlf": lambda t: _each_line(
        t, lambda i: "[rank0]: 2023-03-22 09:30:39 ").replace("\n", "\r\n"),
}


@pytest.mark.parametrize("transform", TRANSFORMS, ids=list(TRANSFORMS))
@pytest.mark.parametrize("name", FIXTURES)
def test_pasted_log_gives_the_same_series(datapath, tmp_path, name, transform):
    source = datapath("text_log", name)
    clean = read_run(source)
    text = source.read_bytes().decode("utf-8")
    pasted = tmp_path / source.name
    pasted.write_bytes(TRANSFORMS[transform](text).encode("utf-8"))
    run = read_run(pasted)
    assert run.format == clean.format
    assert run.metrics == clean.metrics
    for metric in clean.metrics:
        a, b = clean.series(metric), run.series(metric)
        assert a[["step", "epoch", "segment"]].equals(b[["step", "epoch", "segment"]]), metric
        assert a["value"].equals(b["value"]), metric
