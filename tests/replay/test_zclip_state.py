"""ZClipState, stepped one norm at a time, gives zclip_scale's factors exactly."""

from __future__ import annotations

import numpy as np
import pytest

from replay import ZClip, zclip_scale
from replay.zclip_state import ZClipState


@pytest.mark.parametrize("spec", [
    ZClip(), ZClip(max_grad_norm=None, warmup_steps=5), ZClip(clip_option="mean"),
    ZClip(skip_update_on_spike=True, warmup_steps=3, max_grad_norm=2.0),
])
def test_stepping_matches_the_series_replay(spec):
    rng = np.random.default_rng(7)
    norms = np.abs(1.0 + 0.2 * rng.standard_normal(200))
    norms[[40, 41, 120, 180]] = [6.0, 9.0, 4.0, 30.0]
    state = ZClipState(spec)
    stepped = [state.step(g) for g in norms]
    assert stepped == zclip_scale(norms, spec).scale.tolist()
