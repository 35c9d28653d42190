"""Refresh the demo excerpt in README.md from out/TRAINING_INSTABILITY_FIX.md (after make demo).

Usage: make demo && python docs/update_readme_excerpt.py
"""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- demo-excerpt:begin -->", "<!-- demo-excerpt:end -->"


def section(md: str, start: str, end: str) -> str:
    a = md.index(start)
    return md[a:md.index(end, a + len(start))].strip()


def main() -> None:
    md = (ROOT / "out" / "TRAINING_INSTABILITY_FIX.md").read_text()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    shutil.copy(ROOT / "out" / "training_history.png", ROOT / "docs" / "demo_training_history.png")
    parts = [
        "`make demo` analyzes `samples/seed_like/` (a real torch training of an LSTM on a sine "
        "wave that spikes and collapses to a constant prediction; `samples/seed_like/README.md` "
        "says how it was made). Excerpt of the `out/TRAINING_INSTABILITY_FIX.md` it wrote at "
        f"commit `{commit}`:",
        "> " + md.splitlines()[0],
        # the first screen: the summary box up to its table of contents
        section(md, "> **", "> **Contents:**").rstrip("> \n"),
        section(md, "### What Happened", "\n_All observed").replace("### ", "#### "),
        "![Losses, spike and learning rates of the demo run](docs/demo_training_history.png)",
        section(md, "## Comparison Table", "\n![").replace("## ", "#### "),
        section(md, "## Recommended Action", "## Data Notes").replace("## ", "#### "),
        "The full report also has the root cause, the config check, each option's config diff "
        "and replay table, the measured results on the proxy task, and how to test.",
    ]
    readme = (ROOT / "README.md").read_text()
    block = f"{BEGIN}\n" + "\n\n".join(parts) + f"\n{END}"
    readme = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.S)
    (ROOT / "README.md").write_text(readme)


if __name__ == "__main__":
    main()
