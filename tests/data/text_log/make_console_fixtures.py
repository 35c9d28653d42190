"""Write the console-log fixtures of issue 7 with each framework's own print statements.

Run from the repository root: ``.venv/bin/python tests/data/text_log/make_console_fixtures.py``.
No framework is imported: the values come from a seeded random walk, and every line is
printed with the format string of the source named beside it (read in that source):

- ``yolov7_console_nan.log``: WongKinYiu/yolov7 ``train.py``: the header
  ``('\\n' + '%10s' * 8) % ('Epoch', 'gpu_mem', 'box', 'obj', 'cls', 'total', 'labels',
  'img_size')`` and, as the tqdm description of every batch, ``('%10s' * 2 + '%10.4g' * 6) %
  ('%g/%g' % (epoch, epochs - 1), '%.3gG' % mem, *mloss, targets.shape[0], imgs.shape[-1])``
  (running means; tqdm rewrites the line with ``\\r``), then ``test.py``'s
  ``('%20s' + '%12s' * 6) % ('Class', 'Images', 'Labels', 'P', 'R', 'mAP@.5', 'mAP@.5:.95')``
  and ``('%20s' + '%12i' * 2 + '%12.3g' * 4) % ('all', seen, nt.sum(), mp, mr, map50, map)``.
  The losses turn to ``nan`` from epoch 3, as in the pasted issue reports.
- ``ultralytics_v8_console.log``: ultralytics ``engine/trainer.py`` (8.x): the header
  ``('\\n' + '%11s' * (4 + nl)) % ('Epoch', 'GPU_mem', *self.loss_names, 'Instances',
  'Size')`` and the bar description ``('%11s' * 2 + '%11.4g' * (2 + nl)) %
  (f'{epoch + 1}/{self.epochs}', f'{mem:.3g}G', *losses, batch['cls'].shape[0],
  batch['img'].shape[-1])``; the validator's ``'%22s' + '%11s' * 6`` header and
  ``'%22s' + '%11i' * 2 + '%11.3g' * len(mean_results)`` row.
- ``mlx_lm_lora.log``: ml-explore/mlx-lm ``tuner/trainer.py``: ``f"Iter {it}: Val loss
  {val_loss:.3f}, Val took {val_time:.3f}s"`` and ``f"Iter {it}: Train loss
  {train_loss:.3f}, Learning Rate {learning_rate:.3e}, It/sec {it_sec:.3f}, Tokens/sec
  {tokens_sec:.3f}, Trained Tokens {trained_tokens}, Peak mem {peak_mem:.3f} GB"``.
- ``bigdl_loss_infinity.log``: intel-analytics BigDL ``DistriOptimizer.scala``: log4j
  ``INFO  DistriOptimizer$:426 - `` then ``s"[Epoch $epoch $count/$numSamples][Iteration
  $neval][Wall Clock ${wallClockTime / 1e9}s] Trained $n records in $t seconds. Throughput is
  $tp records/second. Loss is $loss. "`` (the JVM prints an infinite float as ``Infinity``).
- ``lightning_progress_bar.log``: Lightning 2.x ``TQDMProgressBar`` captured without a
  terminal: one ``\\r``-rewritten line per epoch ``Epoch {e}: {p}%|{bar}| {i}/{n} [..., v_num=0,
  train_loss_step=…]`` whose last state carries ``val_loss`` and ``train_loss_epoch``.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _walk(rng: random.Random, start: float, n: int, rate: float = 0.05) -> list[float]:
    values, v = [], start
    for _ in range(n):
        v *= 1 - rate * rng.random()
        values.append(v)
    return values


def yolov7(rng: random.Random) -> str:
    epochs, nb, out = 6, 4, []
    for epoch in range(epochs):
        out.append("\n" + ("%10s" * 8) % ("Epoch", "gpu_mem", "box", "obj", "cls", "total",
                                          "labels", "img_size"))
        states = []
        for i in range(nb):
            box, obj, cls = (0.09 - 0.004 * epoch - 0.001 * i, 0.05 - 0.002 * epoch,
                             0.03 - 0.001 * epoch)
            if epoch >= 3:
                box = obj = cls = float("nan")
            mem = "%.3gG" % 7.31  # noqa: UP031 (yolov7's own format string)
            row = ("%10s" * 2 + "%10.4g" * 6) % (f"{epoch}/{epochs - 1}", mem, box, obj, cls,
                                                 box + obj + cls, 40 + i, 640)
            states.append(f"{row}: {100 * (i + 1) // nb:3d}%|{'█' * (i + 1)}| {i + 1}/{nb}")
        out.append("\r" + "\r".join(states))
        out.append(("%20s" + "%12s" * 6) % ("Class", "Images", "Labels", "P", "R", "mAP@.5",
                                             "mAP@.5:.95") + ": 100%|██| 2/2")
        out.append(("%20s" + "%12i" * 2 + "%12.3g" * 4) % ("all", 128, 929, 0.1 * epoch,
                                                           0.05 * epoch, 0.02, 0.01))
    return "\n".join(out) + "\n"


def ultralytics_v8(rng: random.Random) -> str:
    epochs, nb, out = 5, 3, []
    names = ("box_loss", "cls_loss", "dfl_loss")
    for epoch in range(epochs):
        out.append(("\n" + "%11s" * (4 + len(names))) % ("Epoch", "GPU_mem", *names,
                                                          "Instances", "Size"))
        states = []
        for i in range(nb):
            losses = (1.5 - 0.1 * epoch - 0.01 * i, 2.0 - 0.2 * epoch, 1.2 - 0.05 * epoch)
            row = ("%11s" * 2 + "%11.4g" * (2 + len(names))) % (
                f"{epoch + 1}/{epochs}", f"{2.61:.3g}G", *losses, 60 + i, 640)
            states.append(f"{row}: {100 * (i + 1) // nb}% ━━━━━━ {i + 1}/{nb} 3.0it/s 0.9s")
        out.append("\r" + "\r".join(states))
        out.append(("%22s" + "%11s" * 6) % ("Class", "Images", "Instances", "Box(P", "R",
                                             "mAP50", "mAP50-95): 100% ━━━━ 2/2"))
        out.append(("%22s" + "%11i" * 2 + "%11.3g" * 4) % ("all", 128, 929, 0.6, 0.5,
                                                           0.1 * epoch, 0.05 * epoch))
    return "\n".join(out) + "\n"


def mlx_lm(rng: random.Random) -> str:
    out = ["Loading pretrained model", "Loading datasets", "Training",
           "Trainable parameters: 0.071% (5.243M/7241.732M)", "Starting training..., iters: 200"]
    train = _walk(rng, 3.9, 200, 0.01)
    tokens = 0
    for it in range(1, 201):
        if it == 1 or it % 50 == 0:
            out.append(f"Iter {it}: Val loss {train[it - 1] + 0.1:.3f}, Val took {12.3:.3f}s")
        if it % 10 == 0:
            tokens += 4096
            loss = float("nan") if it >= 150 else train[it - 1]
            out.append(f"Iter {it}: Train loss {loss:.3f}, Learning Rate {1e-5:.3e}, It/sec "
                       f"{0.512:.3f}, Tokens/sec {2048.0:.3f}, Trained Tokens {tokens}, "
                       f"Peak mem {5.321:.3f} GB")
        if it % 100 == 0:
            out.append(f"Iter {it}: Saved adapter weights to adapters/adapters.safetensors "
                       f"and adapters/{it:07d}_adapters.safetensors.")
    return "\n".join(out) + "\n"


def bigdl(rng: random.Random) -> str:
    out, n, wall = [], 60000, 0.0
    losses = _walk(rng, 2.3, 40, 0.03)
    for neval in range(1, 41):
        wall += 0.41
        epoch = 1 + (neval - 1) // 20
        count = ((neval - 1) % 20 + 1) * 3000
        loss = "Infinity" if neval >= 31 else f"{losses[neval - 1]:.8g}"
        out.append(f"2020-12-03 15:25:{neval % 60:02d} INFO  DistriOptimizer$:426 - [Epoch "
                   f"{epoch} {count}/{n}][Iteration {neval}][Wall Clock {wall:.9g}s] Trained "
                   f"3000 records in 0.41 seconds. Throughput is 7317.073 records/second. "
                   f"Loss is {loss}. ")
        if neval == 30:
            out.append("2020-12-03 15:25:30 WARN  BlockManager:66 - Block rdd_12_0 already "
                       "exists on this machine; not re-adding it")
    return "\n".join(out) + "\n"


def lightning_bar(rng: random.Random) -> str:
    out, nb = ["GPU available: False, used: False", "", "  | Name | Type   | Params",
               "-------------------------------", "0 | net  | Linear | 33    ",
               "-------------------------------"], 5
    for epoch in range(4):
        states = []
        for i in range(nb + 1):
            step = 0.9 - 0.1 * epoch - 0.01 * i
            post = f"v_num=0, train_loss_step={step:.3f}"
            if i == nb:
                post += f", val_loss={0.95 - 0.1 * epoch:.3f}, train_loss_epoch={step + 0.02:.3f}"
            states.append(f"Epoch {epoch}: {100 * i // nb:3d}%|{'█' * i}{' ' * (nb - i)}| "
                          f"{i}/{nb} [00:00<00:00, 45.21it/s, {post}]")
        out.append("\r" + "\r".join(states))
    out[-1] += "\n`Trainer.fit` stopped: `max_epochs=4` reached."
    return "\n".join(out) + "\n"


WRITERS = {"yolov7_console_nan.log": yolov7, "ultralytics_v8_console.log": ultralytics_v8,
           "mlx_lm_lora.log": mlx_lm, "bigdl_loss_infinity.log": bigdl,
           "lightning_progress_bar.log": lightning_bar}


def main() -> None:
    for name, writer in WRITERS.items():
        (HERE / name).write_bytes(writer(random.Random(7)).encode("utf-8"))


if __name__ == "__main__":
    main()
