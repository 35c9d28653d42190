"""Train every seed of one setting of the built-in proxy at once (this module imports torch).

The seeds of a setting are independent trainings of the same small model, so their
parameters can be stacked along a leading seed axis: one pass of Python per step for all
seeds instead of one per seed. Each seed keeps everything that
:func:`reporter.confirm.proxy.train_trial` gives it alone:

- its own data (``make_data(task, seed)``), initial weights (``torch.manual_seed(seed)``
  then the proxy's own model, whose parameters are copied into the stack) and batch order
  (the proxy's own shuffled loader, seeded with ``seed``);
- its own LSTM pass: torch's fused kernel (``torch.lstm``, what ``nn.LSTM.forward`` runs) on
  that seed's slice of the stacked weights;
- its own Adam state, learning rate and gradient clipping: the update below is torch's
  single-tensor Adam (``torch/optim/adam.py``, ``_single_tensor_adam``, the one torch runs on
  CPU) and ``clip_grad_norm_`` (``torch/nn/utils/clip_grad.py``), computed per seed;
- its own scheduler: torch's scheduler object, stepped on the seed's own validation loss;
- its own early stopping and divergence: a seed that ends leaves the stack, the others go on.

The read-out head runs as batched matrix products (``torch.baddbmm``) and the seeds' losses
are summed before ``backward()``; since no parameter is shared, the gradient of each seed's
parameters is the gradient of its own loss. Products summed in another order round
differently, so the curves equal the one-seed-at-a-time curves within float tolerance, not
bit for bit; ``tests/confirm/test_batched.py`` compares the two. A seed's curve does not
depend on which other seeds share its stack (bit for bit, also tested), so a cached seed or a
setting split in two units by the time budget gives the same numbers.

A model or optimizer this module cannot stack raises :class:`Unbatchable`, and the runner
trains that task one seed at a time instead.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from replay import early_stop
from reporter.confirm.loop import adam, build_scheduler, one_thread
from reporter.confirm.proxy import _ShuffledBatches, _SineLSTM, make_data
from reporter.confirm.spec import ProxyTask, SeedCurve, TrialSpec

__all__ = ["Unbatchable", "train_seeds"]

_CLIP_EPS = 1e-6  # clip_grad_norm_: max_norm / (total_norm + 1e-6)


class Unbatchable(TypeError):
    """The proxy's model or optimizer has a part this module cannot stack."""


@dataclass
class _Seed:
    """One seed's own pieces: its loader, validation data, scheduler and measured rows."""

    seed: int
    loader: _ShuffledBatches
    x_val: torch.Tensor
    y_val: torch.Tensor
    lr_holder: torch.optim.Optimizer
    scheduler: object
    rows: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_at: int | None = None
    stop_reason: str = ""
    diverged: bool = False


class _Stack:
    """The stacked parameters (leading seed axis), their Adam state, and the forward pass."""

    def __init__(self, models: Sequence[nn.Module]) -> None:
        first = models[0]
        lstm = getattr(first, "lstm", None)
        if not isinstance(lstm, nn.LSTM) or not _plain_lstm(lstm):
            raise Unbatchable("the proxy's recurrent part is not a plain batch-first nn.LSTM")
        self.layers, self.hidden = lstm.num_layers, lstm.hidden_size
        self.lstm_names = [f"lstm.{name}" for name in lstm._flat_weights_names]
        self.head = _head_layers(first)
        names = [name for name, _ in first.named_parameters()]
        self.names = names
        self.params = [
            torch.stack([dict(m.named_parameters())[name].detach() for m in models])
            .clone().requires_grad_()
            for name in names
        ]
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.step = 0

    def keep(self, rows: list[int]) -> None:
        """Drop every seed not in ``rows`` (indices into the current stack)."""
        index = torch.tensor(rows, dtype=torch.long)
        self.params = [p.detach()[index].clone().requires_grad_() for p in self.params]
        self.exp_avg = [s[index] for s in self.exp_avg]
        self.exp_avg_sq = [s[index] for s in self.exp_avg_sq]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions ``[seeds, batch]`` for inputs ``[seeds, batch, seq_len, features]``."""
        p = dict(zip(self.names, self.params, strict=True))
        # Each seed's LSTM is torch's own fused kernel (``torch.lstm``, what nn.LSTM.forward
        # calls) on that seed's slice of the stacked weights, so its numbers are the ones the
        # seed alone gets; the read-out, loss, clipping and Adam then run for all seeds at once.
        weights = [p[name].unbind(0) for name in self.lstm_names]
        zeros = x.new_zeros(self.layers, x.shape[1], self.hidden)
        # the last layer's final hidden state h_n[-1] (the output's last step, unidirectional)
        h = torch.stack([
            torch.lstm(x[s], (zeros, zeros), [w[s] for w in weights], True, self.layers,
                       0.0, True, False, True)[1][-1]
            for s in range(x.shape[0])
        ])
        for kind, prefix in self.head:
            if kind == "relu":
                h = torch.relu(h)
            else:
                h = torch.baddbmm(p[prefix + "bias"].unsqueeze(1), h,
                                  p[prefix + "weight"].transpose(1, 2))
        return h.squeeze(-1)


def _plain_lstm(lstm: nn.LSTM) -> bool:
    return (lstm.batch_first and lstm.bias and not lstm.bidirectional
            and lstm.proj_size == 0 and lstm.dropout == 0)


def _head_layers(model: nn.Module) -> list[tuple[str, str]]:
    """The read-out as (``"linear"``, parameter prefix) and (``"relu"``, "") steps."""
    head = getattr(model, "head", None)
    modules = list(head) if isinstance(head, nn.Sequential) else [head]
    prefixes = ([f"head.{i}." for i in range(len(modules))]
                if isinstance(head, nn.Sequential) else ["head."])
    steps = []
    for module, prefix in zip(modules, prefixes, strict=True):
        if isinstance(module, nn.Linear) and module.bias is not None:
            steps.append(("linear", prefix))
        elif isinstance(module, nn.ReLU):
            steps.append(("relu", ""))
        else:
            raise Unbatchable(f"the proxy's read-out has a {type(module).__name__}")
    return steps


@dataclass(frozen=True)
class _AdamSettings:
    betas: tuple[float, float]
    eps: float
    weight_decay: float


def _adam_settings(lr: float) -> _AdamSettings:
    """The proxy optimizer's hyper-parameters, read from the optimizer the proxy builds."""
    optimizer = adam([torch.zeros(1, requires_grad=True)], lr)
    d = optimizer.defaults
    unsupported = [k for k in ("amsgrad", "maximize", "foreach", "fused", "capturable",
                               "differentiable", "decoupled_weight_decay") if d.get(k)]
    if type(optimizer) is not torch.optim.Adam or unsupported:
        raise Unbatchable(f"the proxy's optimizer is {type(optimizer).__name__} "
                          f"{', '.join(unsupported)}".strip())
    return _AdamSettings(tuple(d["betas"]), float(d["eps"]), float(d["weight_decay"]))


def _seed_view(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values[S]`` shaped to broadcast over a stacked ``[S, ...]`` tensor."""
    return values.view(-1, *([1] * (like.dim() - 1)))


@torch.no_grad()
def _clip(stack: _Stack, max_norm: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: pre-clip total gradient norm, and whether clip_grad_norm_ scaled it."""
    grads = [p.grad for p in stack.params]
    per_param = [torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads]
    total = torch.linalg.vector_norm(torch.stack(per_param), dim=0)
    norms = total.double().numpy()
    if max_norm is None:
        return norms, np.zeros(len(norms), dtype=bool)
    coef = torch.clamp(max_norm / (total + _CLIP_EPS), max=1.0)
    torch._foreach_mul_(grads, [_seed_view(coef, g) for g in grads])
    with np.errstate(divide="ignore", invalid="ignore"):
        return norms, max_norm / (norms + _CLIP_EPS) < 1.0


@torch.no_grad()
def _adam_step(stack: _Stack, lrs: np.ndarray, adam_: _AdamSettings) -> None:
    """torch's single-tensor Adam update, with one learning rate per seed."""
    stack.step += 1
    beta1, beta2 = adam_.betas
    bias_correction1 = 1 - beta1**stack.step
    bias_correction2_sqrt = (1 - beta2**stack.step) ** 0.5
    neg_step = torch.from_numpy(-(lrs / bias_correction1)).float()
    params, ms, vs = stack.params, stack.exp_avg, stack.exp_avg_sq
    grads = [p.grad for p in params]
    if adam_.weight_decay != 0:
        grads = torch._foreach_add(grads, params, alpha=adam_.weight_decay)
    # the single-tensor update, each line as one foreach call over the parameters (on CPU
    # these run the same kernels tensor by tensor)
    torch._foreach_lerp_(ms, grads, 1 - beta1)
    torch._foreach_mul_(vs, beta2)
    torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
    denom = torch._foreach_sqrt(vs)
    torch._foreach_div_(denom, bias_correction2_sqrt)
    torch._foreach_add_(denom, adam_.eps)
    step = torch._foreach_mul(ms, [_seed_view(neg_step, p) for p in params])
    torch._foreach_div_(step, denom)
    torch._foreach_add_(params, step)  # addcdiv_: p + value * m / denom


def _train_epoch(
    stack: _Stack, seeds: list[_Seed], spec: TrialSpec, adam_: _AdamSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per seed: mean step loss, largest pre-clip norm and share of clipped steps."""
    lrs = np.array([s.lr_holder.param_groups[0]["lr"] for s in seeds], dtype=float)
    losses, norms, clipped = [], [], []
    for batches in zip(*(s.loader for s in seeds), strict=True):
        x = torch.stack([b[0] for b in batches])
        y = torch.stack([b[1] for b in batches])
        for p in stack.params:
            p.grad = None
        loss = ((stack.forward(x) - y) ** 2).mean(dim=1)  # nn.MSELoss per seed
        loss.sum().backward()  # no shared parameter: each seed gets its own loss's gradient
        norm, was_clipped = _clip(stack, spec.clip_grad_norm)
        _adam_step(stack, lrs, adam_)
        losses.append(loss.detach())
        norms.append(norm)
        clipped.append(was_clipped)
    per_step = np.ascontiguousarray(torch.stack(losses).double().numpy().T)
    return (np.array([np.mean(row) for row in per_step]),
            np.max(np.array(norms), axis=0), np.mean(np.array(clipped), axis=0))


@torch.no_grad()
def _validate(stack: _Stack, seeds: list[_Seed]) -> list[float]:
    x = torch.stack([s.x_val for s in seeds])
    y = torch.stack([s.y_val for s in seeds])
    return ((stack.forward(x) - y) ** 2).mean(dim=1).tolist()


def _end_of_epoch(s: _Seed, spec: TrialSpec) -> bool:
    """Step the seed's scheduler and early stopping; True when the seed's training ends."""
    train, val = s.rows[-1][:2]
    if not (math.isfinite(train) and math.isfinite(val)):
        s.diverged = True
        return True
    if isinstance(s.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        s.lr_holder.step()  # no gradients: only tells the scheduler the optimizer stepped
        s.scheduler.step(val)
    elif s.scheduler is not None:
        s.lr_holder.step()
        s.scheduler.step()
    if spec.early_stopping is not None:
        stop = early_stop(spec.early_stopping, [row[1] for row in s.rows])
        if stop is not None:
            s.stopped_at, s.stop_reason = stop.index, stop.reason
            return True
    return False


def _build(task: ProxyTask, spec: TrialSpec, seeds: Sequence[int]) -> tuple[_Stack, list[_Seed]]:
    """Each seed's data, initial weights and loader exactly as ``proxy.train_trial`` makes them."""
    models, states = [], []
    for seed in seeds:
        x_tr, y_tr, x_va, y_va = (torch.from_numpy(a) for a in make_data(task, seed))
        torch.manual_seed(seed)
        models.append(_SineLSTM(task.hidden_size, task.num_layers, task.head_size))
        loader = _ShuffledBatches(x_tr, y_tr, task.batch_size, torch.Generator().manual_seed(seed))
        holder = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=spec.learning_rate)
        states.append(_Seed(seed, loader, x_va, y_va, holder, build_scheduler(spec, holder)))
    return _Stack(models), states


def train_seeds(
    spec: TrialSpec, seeds: Sequence[int], *, task: ProxyTask | None = None, name: str = ""
) -> list[SeedCurve]:
    """Train the proxy under ``spec`` for every seed in ``seeds`` at once; curves in seed order.

    Each curve is the one :func:`reporter.confirm.proxy.train_trial` gives for that seed
    (within float tolerance). ``seconds`` of a seed is its share of the wall time: the
    set-up split evenly, each epoch split among the seeds still training in it. Runs on one
    CPU thread, like a one-seed trial.
    """
    task = task or ProxyTask()
    _refuse_unsupported(spec)
    if not seeds:
        return []
    with one_thread():
        start = time.perf_counter()
        adam_ = _adam_settings(spec.learning_rate)
        stack, states = _build(task, spec, seeds)
        for s in states:
            s.seconds = (time.perf_counter() - start) / len(states)
        active = list(states)
        for _epoch in range(spec.epochs):
            tick = time.perf_counter()
            lr_used = [s.lr_holder.param_groups[0]["lr"] for s in active]
            train, norm, clip_fraction = _train_epoch(stack, active, spec, adam_)
            val = _validate(stack, active)
            for i, s in enumerate(active):
                s.rows.append((float(train[i]), val[i], lr_used[i], float(norm[i]),
                               float(clip_fraction[i])))
            ended = [_end_of_epoch(s, spec) for s in active]
            for s in active:
                s.seconds += (time.perf_counter() - tick) / len(active)
            if any(ended):
                stack.keep([i for i, e in enumerate(ended) if not e])
                active = [s for s, e in zip(active, ended, strict=True) if not e]
            if not active:
                break
    return [_curve(s, name) for s in states]


# TrialSpec fields (with their "off" values) this module does not run yet: such a setting
# is trained one seed at a time by the shared loop instead.
_NOT_BATCHED = (("start_epoch", 0), ("history", ()), ("warmup_epochs", 0), ("zclip", None))


def _refuse_unsupported(spec: TrialSpec) -> None:
    used = [name for name, off in _NOT_BATCHED if getattr(spec, name, off) != off]
    if used:
        raise Unbatchable(f"the batched proxy does not run {', '.join(used)} yet")


def _curve(s: _Seed, name: str) -> SeedCurve:
    cols = np.array(s.rows, dtype=float).T
    return SeedCurve(
        trial=name, seed=s.seed, train_loss=cols[0], val_loss=cols[1], lr=cols[2],
        grad_norm=cols[3], clip_fraction=cols[4], stopped_at=s.stopped_at,
        stop_reason=s.stop_reason, diverged=s.diverged, seconds=s.seconds,
    )
