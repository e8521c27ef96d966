"""Every relative link and #anchor in README.md and docs/*.md leads somewhere.

Anchors follow GitHub's heading slugs: the heading's rendered text, lower-cased, with everything
but letters, digits, underscores, hyphens and spaces dropped, spaces turned into hyphens, and
``-1``, ``-2``, ... appended to repeated slugs. External (``https:``) links are not fetched: the
tests run offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Pages other branches are writing (issue 14), linked from the README ahead of the merge. A link to
# one is allowed only while the page does not exist; once it exists its anchors are checked like
# any other page's. Empty this set once they are all merged.
PENDING_PAGES: frozenset[str] = frozenset()

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target ends at whitespace (a title may follow) or ")".
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def markdown_files() -> list[Path]:
    return [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (before de-duplication)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link renders as its text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)  # _emphasis_ markers, not snake_case
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    result: set[str] = set()
    for _, line in _prose_lines(text):
        match = _HEADING.match(line)
        if match is None:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


@dataclass(frozen=True)
class Link:
    source: Path
    line: int
    target: str


def links(path: Path) -> list[Link]:
    found: list[Link] = []
    for number, line in _prose_lines(path.read_text()):
        prose = _CODE_SPAN.sub("", line)
        found.extend(Link(path, number, m.group(1)) for m in _LINK.finditer(prose))
    return found


def problem(link: Link) -> str | None:
    """Why ``link`` does not resolve, or None when it does (external links are not checked)."""
    target = link.target
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
        return None
    path_part, _, anchor = target.partition("#")
    destination = (link.source.parent / path_part).resolve() if path_part else link.source
    try:
        relative = destination.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return f"{target!r} leaves the repository"
    if not destination.exists():
        pending = relative in PENDING_PAGES and not anchor
        return None if pending else f"{target!r}: {relative} does not exist"
    return _anchor_problem(target, destination, relative, anchor)


def _anchor_problem(target: str, destination: Path, relative: str, anchor: str) -> str | None:
    if not anchor:
        return None
    if destination.suffix != ".md":
        return f"{target!r}: an anchor into {relative}, which is not a Markdown page"
    if anchor not in anchors(destination.read_text()):
        return f"{target!r}: {relative} has no heading with the anchor #{anchor}"
    return None


def _where(link: Link) -> str:
    return f"{link.source.relative_to(PROJECT_ROOT)}:{link.line}"


@pytest.mark.parametrize(
    "path", markdown_files(), ids=lambda path: path.relative_to(PROJECT_ROOT).as_posix()
)
def test_every_relative_link_and_anchor_resolves(path: Path) -> None:
    problems = [f"{_where(link)}: {why}" for link in links(path) if (why := problem(link))]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = PROJECT_ROOT / "README.md"
    linked = {
        (readme.parent / link.target.partition("#")[0]).resolve()
        for link in links(readme)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", link.target)
    }
    unlinked = [
        page.relative_to(PROJECT_ROOT).as_posix()
        for page in sorted((PROJECT_ROOT / "docs").glob("*.md"))
        if page.resolve() not in linked
    ]
    assert not unlinked, f"docs pages the README does not link to: {unlinked}"


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Cost estimate (`make cost`)", "cost-estimate-make-cost"),
        (
            "Deploy truth: does the endpoint run what the stack says?",
            "deploy-truth-does-the-endpoint-run-what-the-stack-says",
        ),
        ("The construct: `ServerlessEndpoint`", "the-construct-serverlessendpoint"),
        (
            "Quirks of image 3.0-5 that the server reproduces",
            "quirks-of-image-30-5-that-the-server-reproduces",
        ),
        ("A [linked](https://example.com) *word* and snake_case", "a-linked-word-and-snake_case"),
        ("Deploy dev → prod", "deploy-dev--prod"),
    ],
)
def test_slugs_follow_githubs_rules(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_repeated_headings_get_numbered_anchors() -> None:
    text = "# Notes\n\n## Notes\n\n```\n# not a heading\n```\n\n## Notes\n"
    assert anchors(text) == {"notes", "notes-1", "notes-2"}


def test_a_broken_link_a_missing_anchor_and_links_in_code_are_told_apart(tmp_path: Path) -> None:
    page = PROJECT_ROOT / "docs" / "x.md"  # never written: links() reads the text given below
    text = (
        "See [a](limits.md), [b](limits.md#no-such-heading), [c](missing.md), "
        "[d](https://example.com), `[e](missing.md)`, [f](#x).\n"
        "```\n[g](missing.md)\n```\n"
    )
    scratch = tmp_path / "x.md"
    scratch.write_text(text)
    found = [Link(page, link.line, link.target) for link in links(scratch)]
    assert [link.target for link in found] == [
        "limits.md",
        "limits.md#no-such-heading",
        "missing.md",
        "https://example.com",
        "#x",
    ]
    verdicts = {link.target: problem(link) for link in found}
    assert verdicts["limits.md"] is None
    assert "no heading with the anchor #no-such-heading" in (
        verdicts["limits.md#no-such-heading"] or ""
    )
    assert "docs/missing.md does not exist" in (verdicts["missing.md"] or "")
    assert verdicts["https://example.com"] is None
    assert "docs/x.md does not exist" in (verdicts["#x"] or "")
