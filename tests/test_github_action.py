"""The GitHub Action (action.yml) and the documented workflows (docs/workflows/) pass
actionlint, are safe for pull requests from forks, and docs/github.md shows them as they are
(issue 9, item 5)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / "docs" / "workflows").glob("*.yml"))


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or \
        shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed (the dev extra installs it)")
    return found


def _steps_workflow(meta: dict) -> dict:
    """The composite action's steps as a reusable workflow, so actionlint checks them too
    (it lints workflows; an action's own steps only this way)."""
    inputs = {name: {"type": "string", "required": bool(spec.get("required")),
                     **({} if spec.get("required") else {"default": str(spec.get("default"))})}
              for name, spec in meta["inputs"].items()}
    return {"name": "action steps", "on": {"workflow_call": {"inputs": inputs}},
            "permissions": {"contents": "read"},
            "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": meta["runs"]["steps"]}}}


def _lint(tmp_path: Path, action: str, workflows: dict[str, str]) -> subprocess.CompletedProcess:
    """actionlint in a throw-away project: the action at its root (``uses: ./`` is checked
    against its inputs), the workflows under .github/workflows/."""
    (tmp_path / ".git").mkdir()  # actionlint finds the project root by it
    (tmp_path / "action.yml").write_text(action)
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    for name, text in workflows.items():
        (wf / name).write_text(text)
    steps = json.dumps(_steps_workflow(YAML(typ="safe").load(action)), indent=1)
    (wf / "action-steps.yml").write_text(steps)
    return subprocess.run([_actionlint(), "-oneline"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)


def test_action_and_workflows_pass_actionlint(tmp_path):
    assert len(WORKFLOWS) == 2
    done = _lint(tmp_path, (ROOT / "action.yml").read_text(),
                 {p.name: p.read_text() for p in WORKFLOWS})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_actionlint_sees_a_wrong_input_and_an_injection(tmp_path):
    """The lint above is not vacuous: it reads the action's inputs and its steps."""
    action = (ROOT / "action.yml").read_text().replace(
        'run: reporter comment "$COMMENT"',
        'run: echo "${{ github.event.pull_request.title }}"; reporter comment "$COMMENT"')
    workflow = (ROOT / "docs" / "workflows" / "reporter.yml").read_text().replace(
        "fail-on: critical", "fail-onn: critical")
    done = _lint(tmp_path, action, {"reporter.yml": workflow})
    assert done.returncode == 1
    assert 'input "fail-onn" is not defined' in done.stdout
    assert "github.event.pull_request.title" in done.stdout  # untrusted input in a script


def test_fork_safety_of_the_two_workflows():
    meta = _load(ROOT / "action.yml")
    assert meta["runs"]["using"] == "composite"
    assert all("shell" in s for s in meta["runs"]["steps"] if "run" in s)
    build = _load(ROOT / "docs" / "workflows" / "reporter.yml")
    post = _load(ROOT / "docs" / "workflows" / "reporter-comment.yml")
    # the pull_request job: no secrets, read-only
    assert "pull_request" in build["on"] and "pull_request_target" not in build["on"]
    assert build["permissions"] == {"contents": "read"}
    assert "secrets." not in (ROOT / "docs" / "workflows" / "reporter.yml").read_text()
    # the workflow_run job: runs after it, checks out nothing, posts the artifact's comment
    assert post["on"]["workflow_run"]["workflows"] == [build["name"]]
    assert post["permissions"] == {}
    job = post["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    uses = [s.get("uses", "") for s in job["steps"]]
    assert not any(u.startswith("actions/checkout") for u in uses)
    download = next(s for s in job["steps"] if s.get("uses", "").startswith(
        "actions/download-artifact"))
    assert download["with"]["name"] == meta["inputs"]["comment-artifact"]["default"]
    posting = job["steps"][-1]["run"]
    assert "--head-sha" in posting and "--author" in posting


def test_docs_show_each_workflow_as_it_is():
    doc = (ROOT / "docs" / "github.md").read_text()
    for path in WORKFLOWS:
        assert f"```yaml\n{path.read_text()}```" in doc, path.name
