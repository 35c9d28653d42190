"""How to apply an option in the run's own framework: the lines a user pastes or the
arguments they set (Keras callbacks and optimizer arguments, HF ``TrainingArguments`` keys,
torch classes, Lightning ``Trainer`` arguments, Ultralytics train arguments).

Argument names are the frameworks' own, as in the installed sources:
``keras.callbacks.ReduceLROnPlateau(monitor, factor, patience, mode, min_delta, cooldown,
min_lr)``, ``keras.optimizers.schedules.CosineDecay(initial_learning_rate, decay_steps,
alpha)``, the optimizers' ``global_clipnorm`` (torch's ``clip_grad_norm_`` over all weights;
``clipnorm`` clips each variable alone); ``TrainingArguments(learning_rate,
lr_scheduler_type, lr_scheduler_kwargs, warmup_steps, max_grad_norm, metric_for_best_model)``.
"""

from __future__ import annotations

import re
from typing import Any

import replay
from reporter.config.semantics import is_plateau
from reporter.remedies.plan import Context, Option, Relative

LR_NAME = "lr"  # the name the snippets give the run's learning rate


def code_lines(opt: Option, ctx: Context) -> list[str]:
    """The option in the run's framework, one line per setting; [] when none applies."""
    writer = WRITERS.get(ctx.framework, TorchWriter)(ctx)
    lines: list[str] = []
    for key, value in opt.changes.items():
        lines += writer.change(key, value, opt)
    if opt.plan.warmup:
        lines += writer.warmup(opt.plan.warmup, opt)
    if opt.plan.zclip is not None:
        lines += writer.zclip(opt.plan.zclip)
    if opt.plan.rewind is not None:
        lines += writer.rewind(opt.plan.rewind)
    if opt.plan.learning_rate_assumed and any(
            re.search(rf"\b{LR_NAME}\b", line.split("#")[0]) for line in lines):
        lines.insert(0, f"{LR_NAME} = ...  # the learning rate you trained with: neither the "
                        "logs nor a config give it, so the changes are relative to it")
    return lines


def _args(spec: Any, skip: tuple[str, ...] = ()) -> str:
    """The spec's arguments that differ from its defaults (``spec_text``'s own choice)."""
    body = replay.spec_text(spec).split(":", 1)[-1]
    inner = body[body.index("(") + 1: -1]
    parts = [p for p in inner.split(", ") if p and p.split("=")[0] not in skip]
    return ", ".join(parts)


def _number(value: Any) -> str:
    if isinstance(value, Relative):
        return f"{value.factor:g} * {LR_NAME}"
    if isinstance(value, float):
        text = f"{value:g}"
        return text if any(c in text for c in ".ein") else text + ".0"
    return str(value)


class TorchWriter:
    """torch classes (also the default when the framework is unknown)."""

    name = "torch"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._scheduler_written = False

    def change(self, key: str, value: Any, opt: Option) -> list[str]:
        """Lines for one entry of the option's changes (the scheduler once, however many of
        its fields changed)."""
        if key == "scheduler" or (key.startswith("scheduler.") and "scheduler" not in opt.changes):
            if self._scheduler_written:
                return []
            self._scheduler_written = True
            return self.scheduler(opt.plan.scheduler, opt)
        if key == "clip_grad_norm":
            return self.clip(value)
        if key == "learning_rate":
            return self.learning_rate(value)
        return []

    def scheduler(self, spec: Any, opt: Option) -> list[str]:
        """The scheduler's constructor, and where it steps."""
        args = _args(spec)
        rel = opt.changes.get("scheduler.min_lr") or opt.changes.get("scheduler.eta_min")
        if isinstance(rel, Relative):
            key = "min_lr" if is_plateau(spec) else "eta_min"
            args = ", ".join([*(a for a in args.split(", ") if a and not a.startswith(key)),
                              f"{key}={_number(rel)}"])
        cls = type(spec).__name__.removeprefix("Keras")
        lines = [f"scheduler = torch.optim.lr_scheduler.{cls}(optimizer, {args})"]
        lines.append(f"scheduler.step({self.monitor()})  # once per epoch, after validation"
                     if is_plateau(spec) else "scheduler.step()  # once per epoch")
        return lines

    def monitor(self) -> str:
        """The variable a plateau rule is stepped with."""
        return "val_loss" if self.ctx.metric_name.startswith("val") else "train_loss"

    def clip(self, value: Any) -> list[str]:
        return [f"torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={_number(value)})"
                "  # after loss.backward(), before optimizer.step()"]

    def learning_rate(self, value: Any) -> list[str]:
        return [f"optimizer = torch.optim.<YourOptimizer>(model.parameters(), lr={_number(value)})"]

    def warmup(self, length: int, opt: Option) -> list[str]:
        return [
            f"warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor={1 / length:.4g}, "
            f"total_iters={length - 1})",
            f"warmup.step()  # once per epoch for the first {length} epochs, beside the run's own "
            "scheduler (torch multiplies their effects)",
        ]

    def zclip(self, spec: replay.ZClip) -> list[str]:
        cap = "" if spec.max_grad_norm is None else f", max_grad_norm={spec.max_grad_norm:g}"
        return [
            f"zclip = ZClip(mode=\"zscore\", alpha={spec.alpha:g}, z_thresh={spec.z_thresh:g}, "
            f"warmup_steps={spec.warmup_steps}{cap})  # bluorion-com/ZClip, zclip.py",
            "zclip.step(model)  # after loss.backward(), before optimizer.step(), instead of "
            "clip_grad_norm_",
        ]

    def rewind(self, window: tuple[float, float, float]) -> list[str]:
        at, after, until = window
        name = self.ctx.at  # as the run's log names them
        return [
            f"# load the checkpoint saved at {name(at)} (model, optimizer, scheduler state)",
            f"# then skip the batches the run trained on after {name(after)} up to "
            f"{name(until)}, e.g. by advancing the data loader past them, and continue",
        ]


class KerasWriter(TorchWriter):
    """Keras callbacks, schedules and optimizer arguments."""

    name = "keras"

    def monitor(self) -> str:
        return "val_loss" if self.ctx.metric_name.startswith("val") else "loss"

    def scheduler(self, spec: Any, opt: Option) -> list[str]:
        if is_plateau(spec):
            return [self._plateau(spec, opt)]
        if isinstance(spec, replay.CosineAnnealingLR):
            return self._cosine(spec, opt)
        return [f"# {replay.spec_text(spec)}: no Keras equivalent is written here"]

    def _plateau(self, spec: Any, opt: Option) -> str:
        keras_spec = spec if isinstance(spec, replay.KerasReduceLROnPlateau) else None
        patience = spec.patience if keras_spec else spec.patience + 1
        min_delta = keras_spec.min_delta if keras_spec else spec.threshold
        rel = opt.changes.get("scheduler.min_lr")
        min_lr = _number(rel) if isinstance(rel, Relative) else f"{spec.min_lr:g}"
        return (f"callbacks=[keras.callbacks.ReduceLROnPlateau(monitor=\"{self.monitor()}\", "
                f"factor={spec.factor:g}, patience={patience}, min_delta={min_delta:g}, "
                f"min_lr={min_lr})]  # in model.fit(...)")

    def _cosine(self, spec: Any, opt: Option) -> list[str]:
        base = f"{opt.plan.learning_rate:g}"
        if opt.plan.learning_rate_assumed:
            base = LR_NAME
        alpha = spec.eta_min / opt.plan.learning_rate if opt.plan.learning_rate else 0.0
        return [
            f"schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate={base}, "
            f"decay_steps={spec.T_max} * steps_per_epoch, alpha={alpha:.3g})",
            "optimizer = keras.optimizers.<YourOptimizer>(learning_rate=schedule)  # remove a "
            "ReduceLROnPlateau callback: it cannot set a scheduled LR",
        ]

    def clip(self, value: Any) -> list[str]:
        return ["optimizer = keras.optimizers.<YourOptimizer>(..., "
                f"global_clipnorm={_number(value)})  # the norm over all weights, as torch's "
                "clip_grad_norm_; clipnorm would clip each variable alone"]

    def learning_rate(self, value: Any) -> list[str]:
        return [f"optimizer = keras.optimizers.<YourOptimizer>(learning_rate={_number(value)})"]

    def warmup(self, length: int, opt: Option) -> list[str]:
        base = LR_NAME if opt.plan.learning_rate_assumed else f"{opt.plan.learning_rate:g}"
        return [
            f"callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: {base} * "
            f"(epoch + 1) / {length} if epoch < {length} else lr)]  # in model.fit(...)",
        ]

    def zclip(self, spec: replay.ZClip) -> list[str]:
        return ["# Keras has no built-in adaptive clipping: apply ZClip's rule to the global "
                f"gradient norm in a custom train_step (alpha={spec.alpha:g}, "
                f"z_thresh={spec.z_thresh:g}, warmup_steps={spec.warmup_steps})"]


class HFWriter(TorchWriter):
    """Hugging Face ``TrainingArguments`` keys."""

    name = "hf"

    def scheduler(self, spec: Any, opt: Option) -> list[str]:
        if is_plateau(spec):
            rel = opt.changes.get("scheduler.min_lr")
            min_lr = _number(rel) if isinstance(rel, Relative) else f"{spec.min_lr:g}"
            return [
                'lr_scheduler_type="reduce_lr_on_plateau"',
                f'lr_scheduler_kwargs={{"factor": {spec.factor:g}, "patience": {spec.patience}, '
                f'"min_lr": {min_lr}}}',
                'metric_for_best_model="eval_loss"  # the metric the plateau rule watches, '
                "stepped at every evaluation",
            ]
        if isinstance(spec, replay.CosineAnnealingLR):
            rate = spec.eta_min / opt.plan.learning_rate if opt.plan.learning_rate else 0.0
            return ['lr_scheduler_type="cosine_with_min_lr"',
                    f'lr_scheduler_kwargs={{"min_lr_rate": {rate:.3g}}}  # over all optimizer '
                    "steps, after any warm-up"]
        return [f"# {replay.spec_text(spec)}: no lr_scheduler_type is written here"]

    def clip(self, value: Any) -> list[str]:
        return [f"max_grad_norm={_number(value)}"]

    def learning_rate(self, value: Any) -> list[str]:
        return [f"learning_rate={_number(value)}"]

    def warmup(self, length: int, opt: Option) -> list[str]:
        return [f"warmup_steps={length}  # optimizer steps of linear warm-up from 0"]

    def zclip(self, spec: replay.ZClip) -> list[str]:
        return ["# the Trainer has no adaptive clipping: set max_grad_norm=0 and call ZClip's "
                "step(model) from a TrainerCallback's on_pre_optimizer_step "
                f"(alpha={spec.alpha:g}, z_thresh={spec.z_thresh:g})"]


class LightningWriter(TorchWriter):
    """Lightning ``Trainer`` arguments and ``configure_optimizers``."""

    name = "lightning"

    def clip(self, value: Any) -> list[str]:
        return [f"trainer = lightning.Trainer(..., gradient_clip_val={_number(value)}, "
                'gradient_clip_algorithm="norm")']

    def scheduler(self, spec: Any, opt: Option) -> list[str]:
        lines = super().scheduler(spec, opt)
        if not lines:
            return lines
        monitor = ', "monitor": "val_loss"' if is_plateau(spec) else ""
        return [lines[0], '# in configure_optimizers: return {"optimizer": optimizer, '
                f'"lr_scheduler": {{"scheduler": scheduler, "interval": "epoch"{monitor}}}}}']


class UltralyticsWriter(TorchWriter):
    """Ultralytics train arguments (``model.train(...)``, ``yolo train ...``, args.yaml keys):
    ``lr0``, ``lrf``, ``cos_lr``, ``warmup_epochs`` (``ultralytics/cfg/default.yaml``)."""

    name = "ultralytics"

    def scheduler(self, spec: Any, opt: Option) -> list[str]:
        if isinstance(spec, replay.UltralyticsSchedule):
            return [f"cos_lr={spec.kind == 'cos'}", f"lrf={spec.lrf:g}"]
        if isinstance(spec, replay.CosineAnnealingLR):
            lrf = spec.eta_min / opt.plan.learning_rate if opt.plan.learning_rate else 0.0
            return ["cos_lr=True", f"lrf={lrf:.3g}  # the final LR as a fraction of lr0; "
                    f"Ultralytics' cosine runs over all epochs (T_max {spec.T_max} here)"]
        return [f"# {replay.spec_text(spec)}: Ultralytics has no such argument; set the LR of "
                "trainer.optimizer.param_groups in an on_fit_epoch_end callback"]

    def clip(self, value: Any) -> list[str]:
        return [f"# max_norm={_number(value)}: the trainer clips at 10.0 in "
                "BaseTrainer.optimizer_step, no argument changes it; override optimizer_step"]

    def learning_rate(self, value: Any) -> list[str]:
        return [f"lr0={_number(value)}  # with optimizer=auto lr0 is ignored: also name the "
                "optimizer it chose (its log line 'optimizer: AdamW(lr=...)')"]

    def warmup(self, length: int, opt: Option) -> list[str]:
        return [f"warmup_epochs={length}  # a linear warm-up over the batches of {length} "
                "epochs (at least 100 batches up to 8.4.0)"]


WRITERS: dict[str, type[TorchWriter]] = {
    "torch": TorchWriter, "keras": KerasWriter, "hf": HFWriter, "lightning": LightningWriter,
    "ultralytics": UltralyticsWriter,
}
