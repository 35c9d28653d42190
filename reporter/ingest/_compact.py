"""A scalar table in typed arrays, for readers that stream large files (text logs).

``ScalarTable`` keeps Python lists (about 100 bytes per point); this one keeps
``array.array`` columns and a metric-name index (about 40 bytes per point), and hands
numpy views of them to pandas without a copy.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

from reporter.ingest._table import AXIS_LIMIT, check_axis
from reporter.ingest.run import SCALAR_COLUMNS

_NAN = math.nan


class CompactTable:
    def __init__(self) -> None:
        self.names: dict[str, int] = {}
        self.metric_id = array("i")
        self.step = array("d")
        self.epoch = array("d")
        self.value = array("d")
        self.segment = array("i")

    def __len__(self) -> int:
        return len(self.value)

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

    def extend(self, metric: str, values: Any, *, steps: Any, segment: int) -> None:
        """Many points of one metric at once (numpy float64 arrays, no epoch); the caller
        has checked the steps against ``AXIS_LIMIT``."""
        import numpy as np

        index = self.names.setdefault(metric, len(self.names))
        count = len(values)
        self.metric_id.frombytes(np.full(count, index, dtype=np.int32).tobytes())
        self.value.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        self.step.frombytes(np.ascontiguousarray(steps, dtype=np.float64).tobytes())
        self.epoch.frombytes(np.full(count, _NAN).tobytes())
        self.segment.frombytes(np.full(count, segment, dtype=np.int32).tobytes())

    def frame(self) -> Any:
        import numpy as np
        import pandas as pd

        names = np.asarray(list(self.names) or [""], dtype=object)
        step = np.frombuffer(self.step, dtype=np.float64)
        missing = np.isnan(step)
        steps = pd.arrays.IntegerArray(np.where(missing, 0, step).astype(np.int64), missing)
        columns = {
            "metric": names[np.frombuffer(self.metric_id, dtype=np.int32)],
            "step": steps,
            "epoch": np.frombuffer(self.epoch, dtype=np.float64).copy(),
            "wall_time": np.full(len(step), np.nan),
            "value": np.frombuffer(self.value, dtype=np.float64).copy(),
            "segment": np.frombuffer(self.segment, dtype=np.int32).astype(np.int64),
        }
        self.__init__()  # the arrays are copied out: free them before pandas builds blocks
        return pd.DataFrame({c: columns[c] for c in SCALAR_COLUMNS}, copy=False)
