"""Every reader on damaged copies of its fixtures: a Run or a located LogFormatError, nothing else.

Issue 11, item 5 ("Fuzzed"). Each reader's fixtures (``tests/data/<format>/`` and its sample
in ``samples/formats/``) are cut at a random byte, bit-flipped, emptied, given huge numbers
(1e308, 1e400, -0, 5000-digit integers, steps past 2**63, written by the real writer for the
binary formats) and replaced by random bytes; the text reader also gets random Unicode lines.
For a folder (TensorBoard, MLflow run, W&B run, HF output and Lightning version folders) one
file of a copy is damaged. Each input is read twice, detected and forced (``format=<id>``).

Allowed: a ``Run`` with the canonical columns and finite epochs (a partial read is fine), or a
``LogFormatError`` whose message names the input. Anything else fails, and so does a read
that outlives ``HANG_SECONDS`` (a hard ``SIGALRM`` guard besides the hypothesis deadline).
The example budget is fixed and derandomized, so CI runs the same inputs every time; the
number of inputs each reader survived is printed at the end of the session (conftest.py).
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import shutil
import signal
import sqlite3
import struct
import tempfile
import threading
import zlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.errors import LogFormatError
from reporter.ingest import formats, read_run
from reporter.ingest._tfwriter import record, scalar_event, varint
from reporter.ingest._wandb_log import BLOCK, FIRST, FULL, HEADER, LAST, MIDDLE
from reporter.ingest.run import SCALAR_COLUMNS, Run

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "formats"
FORMAT_IDS = [f.id for f in formats()]
EXAMPLES = 40  # per reader and mutation kind
HANG_SECONDS = 10.0
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None,
                deadline=timedelta(seconds=3),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# the sample run of each format, beside the tests/data fixtures
SAMPLE_UNITS = {
    "tfevents": "tfevents/noisy_shard/runs/noisy_shard",
    "hf_trainer_state": "hf_trainer_state/noisy_shard",
    "lightning_csv": "lightning_csv/noisy_shard/lightning_logs/version_0",
    "mlflow": "mlflow/noisy_shard/mlflow.db",
    "wandb": "wandb/noisy_shard/wandb/offline-run-20261125_170343-09a53u89",
    "keras_csv": "keras_csv/noisy_shard/training_log.csv",
    "torch_checkpoint": "torch_checkpoint/noisy_shard/checkpoint.pt",
    "text_log": "text_log/noisy_shard/train.log",
    "history_json": "history_json/noisy_shard/history.json",
}
_NOT_FIXTURES = ("README.md", ".tbparse.json")

# Numbers that do not fit: float overflow, negative zero, subnormals, int64 and float limits,
# and integers longer than Python's 4300-digit int() limit.
HUGE_TEXT = (b"1e308", b"1e400", b"-1e400", b"-0", b"-0.0", b"4.9e-324",
             b"1.7976931348623157e308", b"9223372036854775808", b"18446744073709551616",
             b"9" * 400, b"1" + b"0" * 5000, b"nan", b"-inf")
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
F32_EXTREMES = (0.0, -0.0, 1.0, 3.4028234663852886e38, -3.4028234663852886e38, math.inf,
                -math.inf, math.nan, 1.401298464324817e-45)
F64_EXTREMES = (0.5, 0.0, -0.0, 1e308, -1e308, math.inf, -math.inf, math.nan, 5e-324,
                9.3e18, 1e300)
PY_EXTREMES = (*F64_EXTREMES, 1, 10**400, -(10**400), 2**63, 2**64)
STEP_EXTREMES = (0, 1, 7, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**70)
TAGS = ("loss", "train/loss", "lr", "epoch", "train/epoch", "val_loss", "hp_metric")
# text for the console-log reader: random Unicode mixed with pieces of the lines it knows
LOG_PIECES = ("Epoch ", "Step ", "iter ", "step ", "[", "]", "/", ": ", "=", " - ", ", ",
              "loss", "val_loss", "lr", "Train Loss", "num_updates", "1", "0", "3/0", "1e400",
              "nan", "inf", "9" * 30, "{'loss': ", "'", "}", "Epoch(train) ", "Epoch(val) ",
              "LearningRateScheduler setting learning rate to ", "\r", "\x1b[1m", "\b",
              " | ", "\t", "ms")


class ReadHang(Exception):
    """A read that outlived ``HANG_SECONDS``."""


def _fixture_units(format_id: str) -> list[Path]:
    """The files and folders one reader is fuzzed on (MLflow file stores: their run folders)."""
    folder = DATA / format_id
    units = [p for p in sorted(folder.iterdir()) if not p.name.endswith(_NOT_FIXTURES)] \
        if folder.is_dir() else []
    expanded = []
    for unit in units:
        runs = sorted(r for r in unit.glob("mlruns/*/*") if (r / "metrics").is_dir())
        expanded += runs or [unit]
    if format_id in SAMPLE_UNITS:
        expanded.append(SAMPLES / SAMPLE_UNITS[format_id])
    return expanded


@pytest.fixture(scope="session")
def numpy_units(tmp_path_factory) -> list[Path]:
    """numpy histories have no fixture files: written here with np.savez / np.save."""
    folder = tmp_path_factory.mktemp("numpy_history")
    series = {"train_loss": np.array([1.0, 0.5, np.nan, 0.4]), "val_loss": np.array([1.2, 0.7,
              0.6, 0.65]), "lr": np.array([0.1, 0.1, 0.05, 0.05]), "epoch": np.arange(4)}
    np.savez(folder / "history.npz", **series)
    np.savez_compressed(folder / "compressed_history.npz", **series)
    np.save(folder / "val_loss.npy", series["val_loss"])
    return sorted(folder.iterdir())


def _victims(units: list[Path]) -> list[tuple[Path, str]]:
    """(unit, file to damage relative to it; "" for a file unit), in a fixed order."""
    out = []
    for unit in units:
        if unit.is_dir():
            out += [(unit, f.relative_to(unit).as_posix())
                    for f in sorted(unit.rglob("*")) if f.is_file()]
        else:
            out.append((unit, ""))
    assert out, f"no fixture files in {units}"
    return out


@pytest.fixture(scope="session")
def victims(numpy_units) -> dict[str, list[tuple[Path, str]]]:
    from reporter.ingest.registry import _module

    for info in formats():  # imported before the deadlines start (torch takes seconds)
        _module(info)
    import torch  # noqa: F401

    units = {f: _fixture_units(f) for f in FORMAT_IDS}
    units["numpy_history"] = numpy_units
    return {f: _victims(u) for f, u in units.items()}


@functools.cache
def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def _file(unit: Path, rel: str) -> Path:
    return unit / rel if rel else unit


# --- mutations: each returns (unit, file, new content of that file) -----------------------


@st.composite
def truncated(draw, victims):
    unit, rel = draw(st.sampled_from(victims))
    data = _bytes(_file(unit, rel))
    return unit, rel, data[:draw(st.integers(0, max(len(data) - 1, 0)))]


@st.composite
def bit_flipped(draw, victims):
    unit, rel = draw(st.sampled_from(victims))
    data = bytearray(_bytes(_file(unit, rel)))
    if data:
        for bit in draw(st.lists(st.integers(0, 8 * len(data) - 1), min_size=1, max_size=16)):
            data[bit // 8] ^= 1 << (bit % 8)
    return unit, rel, bytes(data)


@st.composite
def emptied(draw, victims):
    unit, rel = draw(st.sampled_from(victims))
    return unit, rel, draw(st.sampled_from([b"", b"\n", b" \r\n\t\n", b"\x00", b"\xef\xbb\xbf"]))


@st.composite
def random_bytes(draw, victims):
    """Random bytes, after none or some of the original head (so the magic number stays)."""
    unit, rel = draw(st.sampled_from(victims))
    keep = draw(st.sampled_from([0, 8, 16, 64]))
    return unit, rel, _bytes(_file(unit, rel))[:keep] + draw(st.binary(max_size=4096))


@st.composite
def huge_numbers(draw, victims):
    unit, rel = draw(st.sampled_from(victims))
    path = _file(unit, rel)
    writer = next((w for test, w in _BINARY_WRITERS if test(path)), None)
    if writer is not None:
        return unit, rel, draw(writer(path))
    data = _bytes(path)
    matches = list(_NUMBER.finditer(data))
    if not matches:
        return unit, rel, data
    if draw(st.booleans()):  # every number
        value = draw(st.sampled_from(HUGE_TEXT))
        return unit, rel, _NUMBER.sub(value, data)
    picks = draw(st.lists(st.tuples(st.integers(0, len(matches) - 1),
                                    st.sampled_from(HUGE_TEXT)), min_size=1, max_size=8))
    chosen = dict(picks)
    out, last = bytearray(), 0
    for index, match in enumerate(matches):
        if index in chosen:
            out += data[last:match.start()] + chosen[index]
            last = match.end()
    return unit, rel, bytes(out + data[last:])


@st.composite
def _tfevents_huge(draw, path):
    points = draw(st.lists(st.tuples(st.sampled_from((0.0, 1.7e9, 1e308, math.inf, math.nan)),
                                     st.sampled_from(STEP_EXTREMES), st.sampled_from(TAGS),
                                     st.sampled_from(F32_EXTREMES)), min_size=1, max_size=12))
    head = record(b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2")
    return head + b"".join(record(scalar_event(*point)) for point in points)


def _proto(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def _wandb_log(records: list[bytes]) -> bytes:
    """A W&B transaction log: LevelDB-log chunks in 32 KiB blocks (see _wandb_log)."""
    out = bytearray(HEADER)
    for data in records:
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:
                out += bytes(left)
                continue
            piece, data = data[:left - 7], data[left - 7:]
            kind = (FULL if not data else FIRST) if first else (LAST if not data else MIDDLE)
            crc = zlib.crc32(bytes([kind]) + piece) & 0xFFFFFFFF
            out += struct.pack("<IHB", crc, len(piece), kind) + piece
            first = False
            if not data:
                break
    return bytes(out)


@st.composite
def _wandb_huge(draw, path):
    values = st.sampled_from(["1e308", "1e400", "-1e400", "-0", "9" * 400, "1" + "0" * 5000,
                              "NaN", "Infinity", "-Infinity", "0.5", "[1, 2]", "{}", '"x"',
                              "null", "true"])
    keys = st.sampled_from(["loss", "train/loss", "lr", "epoch", "_step", "_timestamp",
                            "trainer/global_step"])
    rows = draw(st.lists(st.tuples(st.lists(st.tuples(keys, values), min_size=1, max_size=4),
                                   st.sampled_from(STEP_EXTREMES[:-1])), min_size=1, max_size=8))
    records = []
    for items, step in rows:
        body = b"".join(_proto(1, _proto(1, k.encode()) + _proto(16, v.encode()))
                        for k, v in items)
        records.append(_proto(2, body + _proto(2, varint(1 << 3) + varint(step))))
    return _wandb_log(records)


@st.composite
def _sqlite_huge(draw, path):
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        with contextlib.closing(sqlite3.connect(copy)) as db:
            count = db.execute("SELECT max(rowid) FROM metrics").fetchone()[0]
            changes = draw(st.lists(st.tuples(
                st.integers(1, count), st.sampled_from(["value", "step", "timestamp"]),
                st.sampled_from([1e308, math.inf, -math.inf, -0.0, 2**63 - 1, -(2**63), 1e300,
                                 "9" * 400, "nan", "x", b"\x00\x01"])), min_size=1, max_size=6))
            for rowid, column, value in changes:
                with contextlib.suppress(sqlite3.IntegrityError):  # the primary key
                    db.execute(f"UPDATE metrics SET {column} = ? WHERE rowid = ?",
                               (value, rowid))
            db.commit()
        return copy.read_bytes()


@st.composite
def _torch_huge(draw, path):
    import torch

    series = st.lists(st.sampled_from(PY_EXTREMES), min_size=1, max_size=6)
    history = draw(st.dictionaries(st.sampled_from(["train_loss", "val_loss", "lr", "epoch"]),
                                   series, min_size=1))
    meta = draw(st.sampled_from([None, 10**30, math.inf, torch.tensor([1.0, 2.0]),
                                 torch.tensor(1e308, dtype=torch.float64)]))
    checkpoint = {"history": history} if draw(st.booleans()) else dict(history)
    if meta is not None:
        checkpoint["epoch"] = meta
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


@st.composite
def _numpy_huge(draw, path):
    floats = st.lists(st.sampled_from(F64_EXTREMES), min_size=1, max_size=6).map(np.array)
    ints = st.lists(st.sampled_from([0, 1, 2**63 - 1, -(2**63)]), min_size=1, max_size=6).map(
        lambda v: np.array(v, dtype=np.int64))
    buffer = io.BytesIO()
    if path.suffix == ".npy":
        np.save(buffer, draw(floats | ints))
    else:
        arrays = draw(st.dictionaries(st.sampled_from(["train_loss", "lr", "epoch", "step"]),
                                      floats | ints, min_size=1))
        np.savez(buffer, **arrays)
    return buffer.getvalue()


_BINARY_WRITERS = (
    (lambda p: "tfevents" in p.name, _tfevents_huge),
    (lambda p: p.suffix == ".wandb", _wandb_huge),
    (lambda p: p.suffix == ".db", _sqlite_huge),
    (lambda p: p.suffix in (".pt", ".pth"), _torch_huge),
    (lambda p: p.suffix in (".npz", ".npy"), _numpy_huge),
)


@st.composite
def unicode_lines(draw, victims):
    """Random Unicode lines (and pieces of known lines) inserted into a console log, or alone."""
    unit, rel = draw(st.sampled_from(victims))
    lines = _bytes(_file(unit, rel)).decode("utf-8", "replace").splitlines() \
        if draw(st.booleans()) else []
    line = st.lists(st.text(max_size=12) | st.sampled_from(LOG_PIECES), max_size=12).map("".join)
    for position, text in draw(st.lists(st.tuples(st.integers(0, len(lines)), line),
                                        min_size=1, max_size=20)):
        lines.insert(position, text)
    return unit, rel, "\n".join(lines).encode("utf-8", "surrogatepass")


# --- the check -------------------------------------------------------------------------------


@contextlib.contextmanager
def _time_bound(seconds: float):
    """Raise ``ReadHang`` in a read that outlives ``seconds`` (a hang fails, never blocks CI)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise ReadHang(f"the read took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_run(run: object) -> None:
    assert isinstance(run, Run), type(run)
    assert isinstance(run.name, str), run.name
    assert tuple(run.scalars.columns) == SCALAR_COLUMNS
    assert str(run.scalars["step"].dtype) in ("Int32", "Int64")
    epochs = run.scalars["epoch"].to_numpy(dtype="float64")
    assert not np.isinf(epochs).any(), "an infinite epoch in the run"


def _read_both(format_id: str, mutation: tuple[Path, str, bytes]) -> bool:
    """Read a damaged copy detected and forced; True when the forced reader gave a Run."""
    unit, rel, content = mutation
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / unit.name
        if unit.is_dir():
            shutil.copytree(unit, target)
        (target / rel if rel else target).write_bytes(content)
        return _read_detected_and_forced(format_id, target)


def _read_detected_and_forced(format_id: str, target: Path) -> bool:
    read = False
    for forced in (None, format_id):
        with _time_bound(HANG_SECONDS):
            try:
                run = read_run(target, format=forced)
            except LogFormatError as err:
                assert str(target) in str(err), f"the error does not name the input: {err}"
                continue
        _check_run(run)
        read = forced is not None
    return read


def _survived(tally: dict, format_id: str, kind: str, read: bool) -> None:
    counts = tally.setdefault(format_id, {})
    counts[kind] = counts.get(kind, 0) + 1
    counts["read"] = counts.get("read", 0) + read


def test_fuzz_every_reader_has_fixtures(victims):
    assert sorted(victims) == sorted(FORMAT_IDS)
    assert all(victims.values())


MUTATIONS = {"truncated": truncated, "flipped": bit_flipped, "empty": emptied,
             "huge": huge_numbers, "random": random_bytes}


@pytest.mark.parametrize("kind", list(MUTATIONS))
@pytest.mark.parametrize("format_id", FORMAT_IDS)
@FUZZ
@given(data=st.data())
def test_fuzz_reader_damaged_input_reads_or_names_the_file(format_id, kind, data, victims,
                                                           fuzz_tally):
    mutation = data.draw(MUTATIONS[kind](victims[format_id]), label=kind)
    _survived(fuzz_tally, format_id, kind, _read_both(format_id, mutation))


@settings(FUZZ, max_examples=2 * EXAMPLES)
@given(data=st.data())
def test_fuzz_text_reader_random_unicode_lines(data, victims, fuzz_tally):
    mutation = data.draw(unicode_lines(victims["text_log"]), label="unicode lines")
    _survived(fuzz_tally, "text_log", "unicode", _read_both("text_log", mutation))


# --- the inputs that broke a reader, kept as plain cases (issue 11, item 5) -------------------


def _npy_declaring(shape: tuple[int, ...]) -> bytes:
    from numpy.lib import format as npformat

    buffer = io.BytesIO()
    npformat.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                             "shape": shape})
    return buffer.getvalue() + np.zeros(4).tobytes()


def _legacy_checkpoint_cut() -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save({"train_loss": [1.0, 0.5, 0.25]}, buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()[:-20]


def _events(*points: tuple[int, str, float]) -> bytes:
    head = record(b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2")
    return head + b"".join(record(scalar_event(1.7e9, s, t, v)) for s, t, v in points)


REGRESSIONS = [
    # (id, file written under tmp_path, its content, format, what the read gives: a regex
    # the forced read's error must match, or None for a Run)
    ("tfevents_shorter_than_a_record", "events.out.tfevents.1.x", lambda: b"abc\n", "tfevents",
     r"events\.out\.tfevents\.1\.x: no scalar values in the event file\(s\)$"),
    ("tfevents_infinite_epoch_tag", "events.out.tfevents.1.x",
     lambda: _events((1, "loss", 1.0), (1, "epoch", math.inf), (2, "loss", 0.5)), "tfevents",
     None),
    ("json_integer_of_5000_digits", "history.json",
     lambda: b'{"loss": [1,\n 2, ' + b"1" * 5000 + b"]}", "history_json",
     r"history\.json:2: a number with more than 4300 digits"),
    ("json_integer_past_float_range", "history.json",
     lambda: b'{"loss": [1, ' + b"9" * 400 + b"]}", "history_json", None),
    ("hf_state_infinite_step", "trainer_state.json",
     lambda: b'{"log_history": [{"loss": 1.0, "step": 1}, {"loss": 0.5, "step": 1e400}]}',
     "hf_trainer_state", r"trainer_state\.json: record 1: the step inf is out of range"),
    ("keras_csv_infinite_epoch", "log.csv", lambda: b"epoch,loss\n0,1.0\ninf,0.5\n",
     "keras_csv", r"log\.csv:3: the step inf is out of range"),
    ("ultralytics_epoch_past_float_range", "results.csv",
     lambda: b"epoch,train/box_loss\n1,0.5\n1e400,0.4\n", "ultralytics_csv",
     r"results\.csv:3: the step inf is out of range"),
    ("lightning_step_past_int64", "metrics.csv",
     lambda: b"epoch,step,train_loss\n0,0,1.0\n0,1e19,0.9\n", "lightning_csv",
     r"metrics\.csv:3: the step 1e\+19 is out of range"),
    ("text_log_step_past_int64", "train.log",
     lambda: b"Step 1 - loss: 1.0\nStep 99999999999999999999 - loss: 0.5\n", "text_log",
     r"train\.log:2: the step 1e\+20 is out of range"),
    ("text_log_zero_steps_per_epoch", "train.log",
     lambda: b"Epoch [1/2], Step [3/0], Loss: 0.5\n", "text_log", None),
    ("json_lines_infinite_iteration", "metrics.json",
     lambda: b'{"iteration": 0, "total_loss": 1.0}\n{"iteration": 1e400, "total_loss": 0.5}\n',
     "json_lines", r"metrics\.json:2: the step inf is out of range"),
    ("wandb_jsonl_row_not_an_object", "wandb-history.jsonl",
     lambda: b'{"loss": 1.0, "_step": 0}\n5\n', "wandb", None),
    ("wandb_log_value_of_5000_digits", "run-x.wandb",
     lambda: _wandb_log([_proto(2, _proto(1, _proto(1, b"loss") + _proto(16, b"1.5"))),
                         _proto(2, _proto(1, _proto(1, b"loss") + _proto(16, b"1" * 5000)))]),
     "wandb", None),
    ("mlflow_value_not_a_number", "run/metrics/loss",
     lambda: b"1700000000000 1.0 0\n1700000000001 1.0\x00 1\n", "mlflow", None),
    ("mlflow_timestamp_past_float_range", "run/metrics/loss",
     lambda: b"1700000000000 1.0 0\n" + b"9" * 400 + b" 0.5 1\n", "mlflow", None),
    ("numpy_header_declares_ten_billion_values", "val_loss.npy",
     lambda: _npy_declaring((10**10,)), "numpy_history",
     r"val_loss\.npy: the array declares shape \(10000000000,\) of float64 \(80000000000 "
     r"bytes\) but the file holds 32 bytes \(cut or damaged\)$"),
    ("torch_legacy_checkpoint_cut_short", "history.pt", _legacy_checkpoint_cut,
     "torch_checkpoint", r"history\.pt: not a readable torch checkpoint \("),
    ("torch_checkpoint_codec_name_flipped", "history.pt",  # latin1 -> matin1: LookupError
     lambda: (DATA / "torch_checkpoint" / "numpy_scalars.pt").read_bytes().replace(
         b"latin1", b"matin1"), "torch_checkpoint",
     r"history\.pt: not a readable torch checkpoint \(unknown encoding: matin1\)$"),
]


@pytest.mark.parametrize(("name", "content", "format_id", "expected"),
                         [pytest.param(*case[1:], id=case[0]) for case in REGRESSIONS])
def test_fuzz_found_input_reads_or_names_the_file(tmp_path, name, content, format_id,
                                                  expected):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content())
    target = tmp_path / name.split("/")[0]  # a run folder for MLflow
    _read_detected_and_forced(format_id, target)
    if expected is None:
        _check_run(read_run(target, format=format_id))
    else:
        with pytest.raises(LogFormatError, match=expected):
            read_run(target, format=format_id)
