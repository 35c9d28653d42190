"""A scalar table in typed arrays, for readers that stream large files (text logs, CSV).

``ScalarTable`` keeps Python lists (about 100 bytes per point). This one keeps one numpy
array per column, grown in place (``ndarray.resize``: ``realloc``, which moves no pages of a
large block), so the points never exist twice: single points gather in ``array.array``
buffers that are flushed into the arrays, bulk points (``extend``) go straight in. A column
that holds one value everywhere so far (``epoch`` NaN, ``segment`` 0) has no array until
another value comes. While reading that is 13 bytes a point (metric code 1, step 4, value 8).

``frame`` narrows what it can without losing a bit: ``metric`` is categorical (one byte per
point up to 127 names), ``step`` is ``Int32`` when every step fits (else ``Int64``); a
column with one value everywhere (``wall_time`` always, ``epoch`` and ``segment`` often) is
a read-only numpy view of that value, with no memory per point. A nanoGPT log's frame costs
14 bytes a point: value 8, step 4 + 1 (its mask), metric 1 (49 with an object ``metric``,
64-bit integers and a float64 array per column of NaN or zeros).
"""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np

from reporter.ingest._table import AXIS_LIMIT, check_axis
from reporter.ingest.run import SCALAR_COLUMNS

_NAN = math.nan
_FLUSH = 1 << 16  # single points kept in Python buffers before they go to the arrays
_INT32 = 2.0 ** 31


class _Column:
    """A numpy array grown in place; until a value other than ``fill`` comes, only a
    count (with ``fill=None``, always an array)."""

    def __init__(self, dtype: Any, fill: Any = None) -> None:
        self.dtype = np.dtype(dtype)
        self.fill = fill
        self.data: Any = None if fill is not None else np.empty(0, self.dtype)
        self.size = 0

    def _constant(self, values: Any) -> bool:
        """Whether ``values`` (a scalar or an array) are all ``fill`` (NaN matches NaN)."""
        if self.fill is None:
            return False
        if self.fill != self.fill:
            return bool(np.isnan(values).all())
        return bool((np.asarray(values) == self.fill).all())

    def put(self, values: Any, count: int) -> None:
        """``count`` values: an array, or one value repeated."""
        if self.data is None:
            if self._constant(values):
                self.size += count
                return
            self.data = np.full(self.size, self.fill, dtype=self.dtype)
        if self.size + count > len(self.data):
            # an eighth more each time: ``resize`` zero-fills (touches) what it adds
            self.data.resize(max(len(self.data) * 9 // 8, self.size + count, 1024),
                             refcheck=False)
        self.data[self.size:self.size + count] = values
        self.size += count

    def widen(self, dtype: Any) -> None:
        """Hold values of ``dtype`` from now on (a copy, once)."""
        self.dtype = np.dtype(dtype)
        if self.data is not None:
            self.data = self.data[:self.size].astype(self.dtype)

    def array(self, dtype: Any = None, *, view: bool = True) -> Any:
        """The values (without ``view``, an array even when all are ``fill``: else a
        read-only view of it); the column is emptied."""
        data, self.data, size = self.data, None, self.size
        if data is None:
            fill = np.asarray(self.fill, dtype=dtype or self.dtype)
            return np.broadcast_to(fill, (size,)) if view else np.full(size, fill)
        data.resize(size, refcheck=False)
        return data if dtype is None or dtype == data.dtype else data.astype(dtype)


class CompactTable:
    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self._columns = {"metric": _Column(np.int8), "step": _Column(np.int32),
                         "missing": _Column(bool, False), "epoch": _Column(np.float64, _NAN),
                         "value": _Column(np.float64), "segment": _Column(np.int32, 0)}
        self._buffers()

    def _buffers(self) -> None:
        self.metric_id = array("i")
        self.step = array("d")
        self.epoch = array("d")
        self.value = array("d")
        self.segment = array("i")

    def __len__(self) -> int:
        return self._columns["value"].size + len(self.value)

    def add(self, metric: str, value: float, *, step: float | None = None,
            epoch: float | None = None, wall_time: float | None = None,
            segment: int = 0) -> None:
        if (step is not None and abs(step) >= AXIS_LIMIT) or (
                epoch is not None and abs(epoch) >= AXIS_LIMIT):
            check_axis(step, epoch)
        index = self.names.get(metric)
        if index is None:
            index = self.names[metric] = len(self.names)
        self.metric_id.append(index)
        self.value.append(value)
        self.step.append(_NAN if step is None else step)
        self.epoch.append(_NAN if epoch is None else epoch)
        self.segment.append(segment)
        if len(self.value) >= _FLUSH:
            self._flush()

    def extend(self, metric: str, values: Any, *, steps: Any, segment: int) -> None:
        """Many points of one metric at once (numpy float64 arrays, no epoch); the caller
        has checked the steps against ``AXIS_LIMIT``."""
        self._flush()
        index = self.names.setdefault(metric, len(self.names))
        self._fit_codes()
        count = len(values)
        self._put_steps(steps, False, count)
        columns = self._columns
        columns["metric"].put(index, count)
        columns["epoch"].put(_NAN, count)
        columns["value"].put(values, count)
        columns["segment"].put(segment, count)

    def extend_points(self, names: list[str], metric: Any, values: Any, *, steps: Any,
                      epochs: Any, segment: int) -> None:
        """Points in order: ``metric`` indexes ``names``; ``steps`` NaN where none,
        ``epochs`` None when no point has one."""
        self._flush()
        codes = np.asarray([self.names.setdefault(n, len(self.names)) for n in names],
                           dtype=np.int32)
        self._fit_codes()
        count = len(values)
        if not count:
            return
        self._put_steps(steps, np.isnan(steps), count)
        columns = self._columns
        columns["metric"].put(codes[metric], count)
        columns["epoch"].put(_NAN if epochs is None else epochs, count)
        columns["value"].put(values, count)
        columns["segment"].put(segment, count)

    def _fit_codes(self) -> None:
        """Metric codes one byte wide up to 127 names, then four."""
        column = self._columns["metric"]
        if len(self.names) > np.iinfo(column.dtype).max:
            column.widen(np.int32)

    def _put_steps(self, steps: Any, missing: Any, count: int) -> None:
        """Steps (floats, integral; NaN where ``missing``) into the integer column."""
        column = self._columns["step"]
        if count and column.dtype == np.int32:
            known = steps if missing is False else steps[~missing]
            if len(known) and not (known.min() > -_INT32 and known.max() < _INT32):
                column.widen(np.int64)
        column.put(steps if missing is False else np.where(missing, 0, steps), count)
        self._columns["missing"].put(missing, count)

    def _flush(self) -> None:
        """The single points added so far go to the arrays."""
        count = len(self.value)
        if not count:
            return
        columns = self._columns
        self._fit_codes()
        steps = np.frombuffer(self.step, dtype=np.float64)
        self._put_steps(steps, np.isnan(steps), count)
        for name, buffer in (("metric", self.metric_id), ("epoch", self.epoch),
                             ("value", self.value), ("segment", self.segment)):
            columns[name].put(np.frombuffer(buffer, dtype=np.int32 if buffer.typecode == "i"
                                            else np.float64), count)
        self._buffers()

    def frame(self) -> Any:
        import pandas as pd

        self._flush()
        count = len(self)
        names = list(self.names) or [""]
        columns = self._columns
        codes = columns["metric"].array()
        steps = columns["step"].array()
        frame = {
            "value": columns["value"].array(),
            "step": pd.arrays.IntegerArray(steps, columns["missing"].array(view=False)),
            "epoch": columns["epoch"].array(),
            "metric": pd.Categorical.from_codes(codes, categories=names),
            "wall_time": np.broadcast_to(np.float64(_NAN), (count,)),
            "segment": columns["segment"].array(np.int64),
        }
        self.__init__()
        return pd.DataFrame({c: frame[c] for c in SCALAR_COLUMNS}, copy=False)
