"""``reporter comment`` against a real HTTP server in the test process that implements
GitHub's list / create / update issue-comment endpoints, with pagination (issue 9, item 5)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from reporter.cli.main import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
REPO, PR = "octo/models", 7
TOKENS = {"good": "writer", "readonly": "reader"}


class FakeGitHub:
    """The comments of one pull request, as GitHub's REST API serves them."""

    def __init__(self, others: int = 0) -> None:
        self.comments = [{"id": i + 1, "body": f"comment {i + 1}", "user": {"login": "someone"}}
                         for i in range(others)]
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.base = ""

    def list(self, query: dict) -> tuple[int, object, dict]:
        per = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        with self.lock:
            chunk = self.comments[(page - 1) * per: page * per]
            more = page * per < len(self.comments)
        headers = {}
        if more:
            nxt = f"{self.base}/repos/{REPO}/issues/{PR}/comments?per_page={per}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
        return 200, chunk, headers

    def create(self, body: str) -> tuple[int, object, dict]:
        with self.lock:
            c = {"id": max((c["id"] for c in self.comments), default=0) + 1, "body": body,
                 "user": {"login": "github-actions[bot]"},
                 "html_url": f"https://github.test/{REPO}/pull/{PR}#c"}
            self.comments.append(c)
        return 201, c, {}

    def update(self, cid: int, body: str) -> tuple[int, object, dict]:
        with self.lock:
            c = next((c for c in self.comments if c["id"] == cid), None)
            if c is None:
                return NOT_FOUND
            c["body"] = body
        return 200, c, {}


NOT_FOUND = (404, {"message": "Not Found"}, {})
HEAD = "0123456789abcdef0123456789abcdef01234567"
PULL = re.compile(rf"/repos/{REPO}/pulls/(\d+)")
LIST = re.compile(rf"/repos/{REPO}/issues/(\d+)/comments")
ONE = re.compile(rf"/repos/{REPO}/issues/comments/(\d+)")


class Handler(BaseHTTPRequestHandler):
    """Routes GET/POST/PATCH to the server's FakeGitHub after checking the token."""

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def _answer(self, write: bool, act) -> None:
        gh: FakeGitHub = self.server.gh  # type: ignore[attr-defined]
        gh.requests.append((self.command, self.path))
        role = TOKENS.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
        if role is None:
            code, payload, headers = 401, {"message": "Bad credentials"}, {}
        elif write and role != "writer":
            code, payload, headers = 403, {"message": "Resource not accessible by integration"}, {}
        else:
            code, payload, headers = act(gh, urlparse(self.path))
        raw = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> str:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))["body"]

    def do_GET(self) -> None:
        def act(gh, url):
            pull = PULL.fullmatch(url.path)
            if pull and int(pull.group(1)) == PR:
                return 200, {"number": PR, "head": {"sha": HEAD}}, {}
            m = LIST.fullmatch(url.path)
            return gh.list(parse_qs(url.query)) if m and int(m.group(1)) == PR else NOT_FOUND
        self._answer(False, act)

    def do_POST(self) -> None:
        def act(gh, url):
            m = LIST.fullmatch(url.path)
            return gh.create(self._body()) if m and int(m.group(1)) == PR else NOT_FOUND
        self._answer(True, act)

    def do_PATCH(self) -> None:
        def act(gh, url):
            m = ONE.fullmatch(url.path)
            return gh.update(int(m.group(1)), self._body()) if m else NOT_FOUND
        self._answer(True, act)


@pytest.fixture
def github(monkeypatch):
    """A FakeGitHub with 130 comments by others (two pages), served on 127.0.0.1."""
    gh = FakeGitHub(others=130)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.gh = gh  # type: ignore[attr-defined]
    gh.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_API_URL", gh.base)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", "good")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.delenv("REPORTER_REPORT_URL", raising=False)
    yield gh
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def report_json(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed")
    assert main(["analyze", str(SAMPLES / "seed_like"), "-o", str(out), "-q", "--confirm",
                 "off", "--format", "json,comment"]) == 0
    return out / "report.json"


def _ours(gh: FakeGitHub) -> list[dict]:
    return [c for c in gh.comments if c["body"].startswith("<!-- reporter:v1 ")]


def test_posts_once_then_updates_the_same_comment_in_place(github, report_json, capsys):
    url = "https://github.com/octo/models/actions/runs/12/artifacts/34"
    assert main(["comment", str(report_json), "--pr", str(PR), "--report-url", url]) == 0
    assert "created comment 131" in capsys.readouterr().err
    first = _ours(github)
    assert len(first) == 1 and f"[Full report]({url})" in first[0]["body"]
    # the marker lies on page 2 of the comments now: the second run must page to find it
    assert main(["comment", str(report_json), "--pr", str(PR), "--report-url", url + "9"]) == 0
    assert "updated comment 131" in capsys.readouterr().err
    ours = _ours(github)
    assert len(ours) == 1 and ours[0]["id"] == 131 and url + "9" in ours[0]["body"]
    assert ("GET", f"/repos/{REPO}/issues/{PR}/comments?per_page=100&page=2") in \
        github.requests
    assert [m for m, _ in github.requests].count("POST") == 1
    assert [m for m, _ in github.requests].count("PATCH") == 1


def test_rendered_comment_file_and_pr_number_from_the_event_file(github, report_json, tmp_path,
                                                                  monkeypatch):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": PR,
                                 "pull_request": {"number": PR}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    body = report_json.parent / "pr_comment.md"
    assert main(["comment", str(body)]) == 0
    assert main(["comment", str(body), "--author", "github-actions[bot]"]) == 0
    assert len(_ours(github)) == 1
    assert _ours(github)[0]["body"] == body.read_text()


def test_a_marker_in_someone_elses_comment_is_not_taken_with_author(github, report_json):
    body = (report_json.parent / "pr_comment.md").read_text()
    github.comments.append({"id": 500, "body": body, "user": {"login": "mallory"}})
    assert main(["comment", str(report_json), "--pr", str(PR),
                 "--author", "github-actions[bot]"]) == 0
    assert github.comments[-1]["id"] == 501 and github.comments[-2]["body"] == body


def test_head_sha_must_be_the_pull_requests_head(github, report_json, capsys):
    assert main(["comment", str(report_json), "--pr", str(PR), "--head-sha", "f" * 40]) == 2
    err = capsys.readouterr().err
    assert "not the analysed commit ffffffffffff: not posting" in err and not _ours(github)
    assert main(["comment", str(report_json), "--pr", str(PR), "--head-sha", HEAD]) == 0
    assert len(_ours(github)) == 1


@pytest.mark.parametrize(("token", "pr", "code", "words"), [
    ("nope", PR, "401", "the token was refused"),
    ("readonly", PR, "403", "may not write comments"),
    ("good", 99, "404", "no pull request #99"),
])
def test_refusals_are_one_line_with_exit_code_2(github, report_json, capsys, monkeypatch,
                                                token, pr, code, words):
    monkeypatch.setenv("GITHUB_TOKEN", token)
    assert main(["comment", str(report_json), "--pr", str(pr)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"HTTP {code}" in err and words in err
    assert not _ours(github)


def test_missing_token_and_unreachable_api_are_clear(report_json, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    assert main(["comment", str(report_json), "--pr", "1"]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "good")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # discard port: refused
    assert main(["comment", str(report_json), "--pr", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the GitHub API" in err and err.count("\n") == 1


def test_print_needs_no_token_and_refuses_foreign_files(report_json, tmp_path, capsys):
    assert main(["comment", str(report_json), "--print", "--key", "train/run -->x"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!-- reporter:v1 key=train/run%20--%3Ex -->\n")
    other = tmp_path / "notes.md"
    other.write_text("# my notes\n")
    assert main(["comment", str(other), "--print"]) == 2
    assert "not a reporter comment" in capsys.readouterr().err
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({"run": {}, "diagnosis": {}, "schema_version": 1}))
    assert main(["comment", str(bad), "--print"]) == 2
    assert "schema_version 1" in capsys.readouterr().err


def test_posting_a_rendered_comment_needs_no_third_party_package(report_json):
    """The workflow_run job installs reporter with --no-deps (docs/github.md)."""
    import subprocess
    import sys

    blocked = ("jinja2", "markupsafe", "numpy", "pandas", "torch", "matplotlib", "ruamel")
    code = ("import sys\n"
            f"for m in {blocked!r}: sys.modules[m] = None\n"
            "from reporter.cli.main import main\n"
            f"raise SystemExit(main(['comment', {str(report_json.parent / 'pr_comment.md')!r},"
            " '--print']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!-- reporter:v1 key=seed_like -->")
