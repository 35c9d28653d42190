"""Post or update the one pull-request comment reporter owns, through GitHub's REST API.

The comment is found by its marker (its first line, ``report/comment.py: marker``): the
first comment on the pull request that starts with it is edited in place; only when none
does is a new one created, so a workflow that runs on every push keeps one comment. Only
the standard library is used (``urllib``); the token is sent to ``api`` and nowhere else.

Endpoints (REST API version ``2022-11-28``): ``GET /repos/{repo}/issues/{n}/comments``
(paginated by its ``Link`` header), ``POST`` to the same path,
``PATCH /repos/{repo}/issues/comments/{id}``, and ``GET /repos/{repo}/pulls/{n}`` to check
that the pull request's head is the commit that was analysed (``--head-sha``).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from reporter.errors import ReporterError, UsageError

API_VERSION = "2022-11-28"
DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 comments: far beyond any pull request; stops a looping server
TIMEOUT = 30.0


class GitHubError(ReporterError):
    """GitHub refused or failed a request; the message says which and what to check."""


@dataclass(frozen=True)
class Target:
    """Where the comment goes: API base, ``owner/name``, pull-request number, token."""

    api: str
    repo: str
    number: int
    token: str


def target_from_env(number: int | None, env: dict[str, str] | None = None) -> Target:
    """The target from ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` and the
    pull-request number (``number``, else read from the event file ``GITHUB_EVENT_PATH``)."""
    env = dict(os.environ if env is None else env)
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UsageError("GITHUB_TOKEN is not set",
                         hint="in a workflow: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}")
    repo = env.get("GITHUB_REPOSITORY", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise UsageError(f"GITHUB_REPOSITORY must be 'owner/name', got {repo!r}")
    api = (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    if not re.match(r"https?://", api):
        raise UsageError(f"GITHUB_API_URL must be an http(s) URL, got {api!r}")
    if number is None:
        number = _number_from_event(env.get("GITHUB_EVENT_PATH"))
    if number < 1:
        raise UsageError(f"the pull request number must be positive, got {number}")
    return Target(api, repo, number, token)


def _number_from_event(path: str | None) -> int:
    """The pull-request number in a workflow's event file (pull_request, issue_comment)."""
    if not path:
        raise UsageError("no pull request number: pass --pr N (GITHUB_EVENT_PATH is not set)")
    try:
        with open(path, encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: cannot read the event file ({err})") from err
    for keys in (("pull_request", "number"), ("issue", "number"), ("number",)):
        found: Any = event
        for k in keys:
            found = found.get(k) if isinstance(found, dict) else None
        if isinstance(found, int):
            return found
    raise UsageError(f"{path}: the event names no pull request (a workflow_run event from a "
                     "fork does not): pass --pr N", hint="see docs/github.md")


def upsert_comment(target: Target, body: str, marker: str, author: str | None = None
                   ) -> tuple[str, dict]:
    """Edit the comment that starts with ``marker`` (by ``author``, if given), else create it.

    Returns ``("updated" | "created", comment)``.
    """
    found = find_comment(target, marker, author)
    if found is not None:
        url = f"{target.api}/repos/{target.repo}/issues/comments/{found['id']}"
        return "updated", _request("PATCH", url, target, {"body": body})[0]
    url = f"{target.api}/repos/{target.repo}/issues/{target.number}/comments"
    return "created", _request("POST", url, target, {"body": body})[0]


def check_head(target: Target, sha: str) -> None:
    """Refuse to post when the pull request's head is not ``sha`` (the commit analysed): a
    pull-request number read from an artifact of a fork's run must name that fork's PR."""
    url = f"{target.api}/repos/{target.repo}/pulls/{target.number}"
    pull = _request("GET", url, target)[0]
    head = ((pull or {}).get("head") or {}).get("sha") if isinstance(pull, dict) else None
    if head != sha:
        raise GitHubError(f"pull request #{target.number}'s head is {str(head)[:12]}, not the "
                          f"analysed commit {sha[:12]}: not posting",
                          hint="a newer push replaces this comment, or the PR number is wrong")


def find_comment(target: Target, marker: str, author: str | None = None) -> dict | None:
    """The first comment whose first line is ``marker``, going through every page."""
    url: str | None = (f"{target.api}/repos/{target.repo}/issues/{target.number}/comments"
                       f"?per_page={PER_PAGE}")
    for _ in range(MAX_PAGES):
        if url is None:
            return None
        page, headers = _request("GET", url, target)
        if not isinstance(page, list):
            raise GitHubError(f"GET {_path(url, target)}: expected a list of comments")
        for c in page:
            body = str(c.get("body") or "")
            login = (c.get("user") or {}).get("login")
            if body.split("\n", 1)[0].strip() == marker and author in (None, login):
                return c
        url = _next_page(headers.get("Link", ""), target)
    raise GitHubError(f"more than {MAX_PAGES} pages of comments on {target.repo}"
                      f"#{target.number}")


def _next_page(link: str, target: Target) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, only when it points at the same API."""
    for part in link.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if m:
            url = m.group(1)
            if not url.startswith(target.api + "/"):
                raise GitHubError(f"the next page of comments points outside {target.api}: "
                                  f"{url[:100]}")
            return url
    return None


def _request(method: str, url: str, target: Target, payload: dict | None = None
             ) -> tuple[Any, Any]:
    data = json.dumps(payload).encode("utf-8") if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {target.token}",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "training-fix-reporter",
        **({"Content-Type": "application/json"} if data is not None else {}),
    })
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # http(s) only: checked above
            raw, headers = resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        raise _http_error(err, method, url, target) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise GitHubError(f"cannot reach the GitHub API at {target.api}: {reason}") from None
    try:
        return json.loads(raw.decode("utf-8")), headers
    except ValueError:
        raise GitHubError(f"{method} {_path(url, target)}: the answer is not JSON") from None


def _http_error(err: urllib.error.HTTPError, method: str, url: str, target: Target
                ) -> GitHubError:
    """One line saying what GitHub refused and what to check."""
    try:
        said = json.loads(err.read().decode("utf-8")).get("message", "")
    except (ValueError, AttributeError, OSError):
        said = ""
    said = " ".join(str(said).split())[:200]
    where = f"{method} {_path(url, target)}"
    head = f"GitHub answered HTTP {err.code}" + (f" ({said})" if said else "") + f" to {where}"
    if err.code == 401:
        return GitHubError(f"{head}: the token was refused",
                           hint="GITHUB_TOKEN is missing, expired or not a token")
    if err.code == 403:
        return GitHubError(
            f"{head}: the token may not write comments on {target.repo}",
            hint="give the job 'permissions: pull-requests: write'; a pull_request run from a "
                 "fork only gets a read-only token, so post from a workflow_run job "
                 "(docs/github.md)")
    if err.code == 404:
        return GitHubError(
            f"{head}: no pull request #{target.number} in {target.repo} that this token can see",
            hint="check GITHUB_REPOSITORY and the pull request number")
    return GitHubError(head)


def _path(url: str, target: Target) -> str:
    return url[len(target.api):] if url.startswith(target.api) else url
