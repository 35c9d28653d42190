"""TensorBoard event files with our own reader (issue 4; formats.md §1).

Fixtures are written by torch 2.13 ``SummaryWriter`` (and HF / Lightning through it); each
``<name>.tbparse.json`` beside them is what tbparse 0.0.9 read from the same files: the
oracle for the decoder, so the tests need neither tensorboard nor tbparse.
"""

from __future__ import annotations

import json
import math
import struct

import pytest

from reporter.errors import LogFormatError
from reporter.ingest import _protobuf as pb
from reporter.ingest import read_run
from reporter.ingest.tfevents import _read_file, event_files

ORACLES = ["simple_values", "restart_purge", "new_style_tensors", "add_scalars_folders",
           "hf_trainer", "lightning_logger", "keras_train_validation"]


def _decoded(folder):
    """(dir, file index, tag, step, value) of every scalar in a run folder, by our decoder."""
    rows = []
    for directory in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        for index, file in enumerate(event_files(directory)):
            cols, tags, _ = _read_file(file, [], {})
            for tag_id, step, value in zip(cols["tag_id"], cols["step"], cols["value"],
                                           strict=True):
                tag = tags[tag_id]
                rows.append((directory.name if directory != folder else "", index, tag,
                             int(step), value))
    return rows


def _key(row):
    value = row[-1]
    value = repr(float(value)) if isinstance(value, str) or not math.isfinite(value) else value
    return (*row[:-1], value if isinstance(value, str) else round(value, 6))


@pytest.mark.parametrize("name", ORACLES)
def test_decoder_matches_tbparse(datapath, name):
    folder = datapath("tfevents", name)
    oracle = json.loads(datapath("tfevents", f"{name}.tbparse.json").read_text())
    expected = sorted(_key((r["dir"] if r["dir"] not in (".", "") else "", 0, r["tag"],
                            r["step"], r["value"])) for r in oracle)
    ours = sorted(_key((d, 0, t, s, v)) for d, _, t, s, v in _decoded(folder))
    assert ours == expected


def test_tfevents_simple_values_nan_and_float32_overflow(datapath):
    run = read_run(datapath("tfevents", "simple_values"))
    assert run.format == "tfevents" and run.step_kind == "optimizer_step"
    loss = run.series("train/loss").set_index("step")["value"]
    assert math.isnan(loss[30])
    assert loss[0] == 0.009999999776482582  # float32(0.01), logged twice at step 0: last wins
    assert run.series("val/loss")["value"].iloc[-1] == math.inf  # 1e40 as float32
    assert run.series("lr")["value"].iloc[0] == pytest.approx(0.1)
    assert run.series("train/loss").set_index("step")["wall_time"][1] == 1_700_000_001


def test_tfevents_no_downsampling(datapath):
    assert len(read_run(datapath("tfevents", "simple_values")).series("train/loss")) == 40


def test_tfevents_session_start_purge_and_later_segment_wins(datapath):
    run = read_run(datapath("tfevents", "restart_purge"))
    loss = run.series("train/loss")
    assert loss["step"].tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 80]
    assert loss["segment"].tolist() == [0] * 5 + [1] + [2] * 3
    assert "SessionLog.START at step 50" in run.notes[0]
    assert len(run.superseded) == 7


def test_tfevents_new_style_tensor_scalars(datapath):
    run = read_run(datapath("tfevents", "new_style_tensors"))
    assert run.series("lr")["value"].tolist() == pytest.approx([0.001 * k for k in range(1, 6)])
    assert run.series("train/loss")["value"].iloc[1] == 0.5


def test_tfevents_add_scalars_folders_fold_back(datapath):
    run = read_run(datapath("tfevents", "add_scalars_folders"))
    assert set(run.metrics) == {"train/loss", "val/loss"}


def test_tfevents_truncated_tail_read_up_to_it(datapath):
    run = read_run(datapath("tfevents", "truncated_tail"))
    whole = read_run(datapath("tfevents", "simple_values"))
    # the cut record was the re-logged step 0, so step 0 keeps its first value here
    assert len(run.scalars) == len(whole.scalars) and run.superseded.empty
    assert run.series("train/loss")["value"].iloc[0] == 2.0
    assert "the last record is cut short at byte 3788 of 3827" in run.notes[0]


def test_tfevents_hf_trainer_tags(datapath):
    run = read_run(datapath("tfevents", "hf_trainer"))
    assert run.meta["framework"] == "hf" and run.meta["epoch_kind"] == "progress"
    assert {"train/loss", "val/loss", "lr", "grad_norm"} <= set(run.metrics)
    assert "train_loss" in run.meta["summary"]
    assert run.series("train/loss")["epoch"].iloc[0] == pytest.approx(1 / 3)


def test_tfevents_lightning_logger(datapath):
    run = read_run(datapath("tfevents", "lightning_logger"))
    assert run.meta["framework"] == "lightning" and run.meta["lr_timing"] == "used"
    assert {"train/loss", "train/loss_step", "val/loss", "lr"} <= set(run.metrics)
    assert "hp_metric" not in run.metrics and "epoch" not in run.metrics
    assert run.series("val/loss")["epoch"].tolist() == [0, 1, 2]


def test_tfevents_keras_train_validation_tf2_tensors(datapath):
    """Keras 3 + TF 2.21 writes TF2 tensor scalars (tensor_content) in train/ and validation/."""
    run = read_run(datapath("tfevents", "keras_train_validation"))
    assert run.meta["framework"] == "keras" and run.step_kind == "epoch"
    assert run.by_epoch()[["train/loss", "val/loss", "lr"]].notna().all().all()
    assert run.series("val/loss")["epoch"].tolist() == [0, 1, 2, 3]
    assert run.meta["x_axis"]["train/batch_loss"] == "iteration"
    assert run.series("lr")["value"].iloc[0] == pytest.approx(0.01)


def test_tfevents_single_file_path(datapath):
    file = next(datapath("tfevents", "simple_values").glob("events.out.tfevents.*"))
    assert read_run(file).has("train/loss")


def test_tfevents_garbage_record_names_the_record(tmp_path):
    data = b"\x00" * 4 + b"\xff" * 8
    record = struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(record)
    with pytest.raises(LogFormatError, match=r"events\.out\.tfevents\.1\.host: record 0: not "
                                             r"an Event record \(varint runs past the end\)$"):
        read_run(path)


def test_tfevents_folder_without_event_files(tmp_path):
    with pytest.raises(LogFormatError, match=r"no event files"):
        read_run(tmp_path, format="tfevents")


@pytest.mark.parametrize(("dtype", "content", "expected"), [
    (pb.DT_FLOAT, struct.pack("<f", 0.5), 0.5),
    (pb.DT_DOUBLE, struct.pack("<d", 0.1), 0.1),
    (pb.DT_HALF, struct.pack("<e", 1.5), 1.5),
    (pb.DT_BFLOAT16, struct.pack("<f", 2.0)[2:], 2.0),
    (pb.DT_FLOAT, b"\x00\x00\xc0\x7f", math.nan),
])
def test_tensor_content_scalars(dtype, content, expected):
    message = bytes([0x08, dtype, 0x22, len(content)]) + content
    value = pb.tensor_scalar(message)
    assert (math.isnan(value) and math.isnan(expected)) or value == expected


def test_tensor_with_several_elements_is_not_a_scalar():
    message = bytes([0x08, pb.DT_FLOAT, 0x2A, 8]) + struct.pack("<2f", 1.0, 2.0)
    assert pb.tensor_scalar(message) is None


def test_crc_checked_on_request_when_a_crc32c_library_is_there(datapath, tmp_path,
                                                                monkeypatch):
    from reporter.ingest import _tfrecord, tfevents

    monkeypatch.setattr(_tfrecord, "_crc_function", lambda: _tfrecord.crc32c_python)
    source = next(datapath("tfevents", "simple_values").glob("events.out.tfevents.*"))
    assert tfevents.read(source, verify_crc=True).notes == [
        "1 points were logged twice for the same metric and step; the last value was kept"]
    data = bytearray(source.read_bytes())
    data[200] ^= 0xFF  # inside the data of an early record
    broken = tmp_path / source.name
    broken.write_bytes(bytes(data))
    unchecked = read_run(broken)  # the flipped byte breaks record 3: read up to it
    assert unchecked.notes[0].endswith("record 3 does not decode as an Event; read the 3 "
                                       "records before it")
    run = tfevents.read(broken, verify_crc=True)
    assert "fails its checksum" in run.notes[0]
    assert len(run.scalars) < 10


def test_crc32c_known_vector():
    from reporter.ingest._tfrecord import crc32c_python

    assert crc32c_python(b"123456789") == 0xE3069283


def _synthetic(path, steps=700, tags=("a/loss", "lr", "grad_norm")):
    from reporter.ingest._tfwriter import write_scalars

    points = [(1.7e9 + s, s, t, s * 0.5 + k) for s in range(steps) for k, t in enumerate(tags)]
    write_scalars(path, points)
    return points


@pytest.mark.parametrize("cut", [0, 1, 13, 1000])
def test_fast_framing_equals_record_by_record_walk(tmp_path, cut):
    """The vectorised framing (pattern breaks at step 128, truncation anywhere) is exact."""
    import numpy as np

    from reporter.ingest import _tfrecord

    path = tmp_path / "events.out.tfevents.1.h"
    _synthetic(path)
    data = path.read_bytes()
    data = data[:len(data) - cut]
    fast_notes, walk_notes = [], []
    fast = _tfrecord._frame_fast(data)
    walk = _tfrecord._frame_checked(data, walk_notes, "x", _tfrecord.crc32c_python)
    assert np.array_equal(fast[0], walk[0]) and np.array_equal(fast[1], walk[1])
    assert fast[2] == walk[2] and not fast_notes and not walk_notes


def test_synthetic_file_values_exact(tmp_path):
    path = tmp_path / "events.out.tfevents.1.h"
    points = _synthetic(path, steps=300)
    run = read_run(path)
    loss = run.series("a/loss")
    assert loss["step"].tolist() == list(range(300))
    assert loss["value"].tolist() == [p[3] for p in points if p[2] == "a/loss"]
    assert run.series("lr")["wall_time"].iloc[-1] == 1.7e9 + 299


@pytest.mark.parametrize("name", ORACLES)
def test_decoder_matches_live_tbparse_when_installed(datapath, name):
    """The same comparison against tbparse itself, where the dev environment has it."""
    tbparse = pytest.importorskip("tbparse")
    folder = datapath("tfevents", name)
    reader = tbparse.SummaryReader(str(folder), extra_columns={"dir_name"})
    theirs = sorted(_key((r.dir_name if r.dir_name not in (".", "") else "", 0, r.tag,
                          int(r.step), float(r.value)))
                    for frame in (reader.scalars, reader.tensors) for r in frame.itertuples()
                    if _is_number(r.value))
    ours = sorted(_key((d, 0, t, s, v)) for d, _, t, s, v in _decoded(folder))
    assert ours == theirs


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def test_lightning_tensorboard_versions_resumed_are_segments(datapath):
    """Lightning 2.6.6 TensorBoardLogger: a resume from a checkpoint writes version_1."""
    from reporter.ingest import discover

    folder = datapath("tfevents", "lightning_resumed_versions")
    assert discover(folder) == [folder]
    loss = read_run(folder).series("train/loss")
    assert loss["epoch"].tolist() == [0, 1, 2, 3, 4]
    assert loss["segment"].tolist() == [0, 0, 0, 1, 1]


def test_lightning_tensorboard_versions_from_scratch_are_runs(datapath, tmp_path):
    import shutil

    from reporter.ingest import discover

    source = datapath("tfevents", "lightning_resumed_versions", "version_0")
    for version in ("version_0", "version_1"):
        shutil.copytree(source, tmp_path / "lightning_logs" / version)
    assert [p.name for p in discover(tmp_path)] == ["version_0", "version_1"]


def test_hf_runs_folder_resumed_launch_is_a_segment(datapath, tmp_path):
    """HF writes a new runs/<date>_<host>/ per launch; a resume continues the steps."""
    import shutil

    from reporter.ingest import discover
    from reporter.ingest._tfwriter import write_scalars

    runs = tmp_path / "runs"
    shutil.copytree(datapath("tfevents", "hf_trainer"), runs / "Nov25_16-40-01_vm")
    later = runs / "Nov25_16-50-00_vm"
    later.mkdir()
    write_scalars(later / "events.out.tfevents.1999999999.vm.1.0",
                  [(2e9 + s, s, "train/loss", 3.0) for s in (5, 6, 7)])
    assert discover(tmp_path) == [runs]
    loss = read_run(runs).series("train/loss")
    assert loss["step"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert loss["segment"].tolist() == [0, 0, 0, 0, 1, 1, 1]  # the resume wins from step 5


def _per_batch_at_epoch_step(path, odd=None):
    """Ultralytics 8.0's TensorBoard callback: each batch's running loss parts logged at the
    epoch's step (``on_batch_end``: ``_log_scalars(label_loss_items(tloss), epoch + 1)``, as in
    realog r13, 55 values on each of 25 steps), then the validation parts once per epoch."""
    from reporter.ingest._tfwriter import write_scalars

    odd = odd or {}
    points, wall = [], 1.7e9
    for epoch in range(6):
        for batch in range(4):
            k = epoch * 4 + batch
            for part, scale in (("box", 1.0), ("cls", 2.0), ("dfl", 0.5)):
                value = odd.get((k, part), scale * (2.0 - 0.05 * k))
                points.append((wall := wall + 1, epoch + 1, f"train/{part}_loss", value))
        for part in ("box", "cls", "dfl"):
            points.append((wall := wall + 1, epoch + 1, f"val/{part}_loss", 1.0 - 0.1 * epoch))
        points.append((wall := wall + 1, epoch + 1, "metrics/mAP50(B)", 0.1 * epoch))
    write_scalars(path, points)


def test_per_batch_values_at_the_epoch_step_are_all_kept_in_order(tmp_path):
    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    _per_batch_at_epoch_step(path)
    run = read_run(path)
    box = run.series("train/box_loss")
    assert box["step"].tolist() == [s for s in range(1, 7) for _ in range(4)]
    assert box["value"].tolist() == pytest.approx([2.0 - 0.05 * k for k in range(24)])
    total = run.series("train/loss")["value"].tolist()  # summed batch by batch
    assert total == pytest.approx([3.5 * (2.0 - 0.05 * k) for k in range(24)])
    assert len(run.series("val/loss")) == 6 and len(run.series("metrics/mAP50(B)")) == 6
    assert any("all 96 kept, in logged order" in n for n in run.notes)


def test_per_batch_spike_inside_an_epoch_reaches_the_detectors(tmp_path):
    from reporter.diagnose import diagnose
    from reporter.diagnose.series import curves

    path = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    base = 2.0 - 0.05 * 13  # epoch 3 (0-based), batch 1 of 4: 8x, back down at batch 2
    odd = {(13, part): 8 * scale * base for part, scale in (("box", 1), ("cls", 2), ("dfl", .5))}
    _per_batch_at_epoch_step(path, odd)
    run = read_run(path)
    found = curves(run)
    assert found["train/loss"].axis == "epoch" and len(found["train/loss"]) == 24
    spike = diagnose(run).first("spike", "train/loss")
    assert spike is not None and spike.start == 3.0 and spike.evidence["onset_index"] == 13
    assert spike.evidence["peak_value"] == pytest.approx(8 * 3.5 * base)


def test_fast_decode_equals_the_protobuf_decoder_on_every_record(tmp_path):
    """Steps of every varint length (0 omitted, negative: ten bytes), tags of one length
    (more than are told apart by comparison), long and non-UTF-8 tags, other layouts."""
    import numpy as np

    from reporter.ingest import _tfrecord
    from reporter.ingest._tfwriter import record, scalar_event

    steps = [0, 1, 127, 128, 16383, 16384, 2**21, 2**35, 2**62, 2**64 - 1]  # the last: -1
    tags = [f"t{i:02d}" for i in range(20)] + ["", "x" * 118, "y" * 119, "lr"]
    events = [scalar_event(1.7e9 + i, s, t, i * 0.25 - 3.0)
              for i, (s, t) in enumerate((s, t) for s in steps for t in tags)]
    bad_tag = scalar_event(1.0, 5, "ab", 2.0).replace(b"ab", b"\xff\xfe")
    other = b"\x09" + struct.pack("<d", 1.7e9) + b"\x1a\x0dbrain.Event:2"
    data = b"".join(record(e) for e in [other, *events, bad_tag, events[3] + b"\x20\x01"])
    offsets, lengths = _tfrecord.frame(data, [], "x")
    fast = _tfrecord.decode_simple(data, offsets, lengths)
    decoded = [pb.event(data[o:o + n]) for o, n in zip(offsets.tolist(), lengths.tolist(),
                                                       strict=True)]
    expected = [(e.values[0].tag, e.step, e.wall_time, e.values[0].simple_value)
                for e, m in zip(decoded, fast["mask"], strict=True) if m]
    got = [(fast["tags"][t], s, w, v) for t, s, w, v in zip(
        fast["tag_id"].tolist(), fast["step"].tolist(), fast["wall_time"].tolist(),
        fast["value"].tolist(), strict=True)]
    assert got == expected
    # what the fast path leaves: the file_version, the negative steps, a longer-than-one-byte
    # tag length, and the event with an extra field
    missed = np.flatnonzero(~fast["mask"]).tolist()
    assert missed == sorted([0, *(1 + 9 * len(tags) + i for i in range(len(tags))),
                             *(1 + k * len(tags) + 22 for k in range(9)), len(decoded) - 1])
    assert "\ufffd\ufffd" in fast["tags"] and len(fast["tags"]) == 24
