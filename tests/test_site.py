"""The built site as a reader sees it: an API reference with signatures, nothing clipped at 1280 px.

The API checks read the HTML that `mkdocs build` writes. The layout checks
load three pages in headless Chromium (Debian's `chromium`, which `.ci/run`
installs), run a small script in each page and save a screenshot of each.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2400",
]
SCREENSHOT_PAGES = ["getting-started", "testing", "api/providers"]
# Runs in the page after it loaded: code blocks wider than their box (they would scroll
# sideways), and words in table cells broken over two lines between two letters or digits
# ("moto_endpoin" / "t"); a break after a hyphen or a slash is fine.
LAYOUT_CHECK = """<script>
function lineBreaksWithinWords(element) {
  var found = [], walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    var range = document.createRange(), top = null;
    for (var i = 0; i < node.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      var rect = range.getBoundingClientRect();
      if (rect.width === 0) continue;
      if (top !== null && rect.top > top + 2 && /\\w\\w/.test(node.data.slice(i - 1, i + 1))) {
        found.push(node.data);
      }
      top = rect.top;
    }
  }
  return found;
}
window.addEventListener("load", function () {
  var scrolling = [], broken = [];
  document.querySelectorAll("pre > code").forEach(function (code) {
    if (code.scrollWidth > code.clientWidth + 1) scrolling.push(code.textContent.slice(0, 60));
  });
  document.querySelectorAll("td, th").forEach(function (cell) {
    broken = broken.concat(lineBreaksWithinWords(cell));
  });
  document.body.setAttribute("data-layout", JSON.stringify({
    width: window.innerWidth,
    blocks: document.querySelectorAll("pre > code").length,
    scrolling: scrolling,
    broken: broken
  }));
});
</script></body>"""

CLASSES_WITH_ARGUMENTS = {
    "providers": [
        "lambda_cache_di.providers.ssm.SSMParameter",
        "lambda_cache_di.providers.ssm.SSMParameters",
        "lambda_cache_di.providers.ssm.SSMParametersByPath",
        "lambda_cache_di.providers.secrets.Secret",
        "lambda_cache_di.providers.secrets.Secrets",
        "lambda_cache_di.providers.s3.S3File",
        "lambda_cache_di.providers.derived.Derived",
        "lambda_cache_di.providers.base.CachedProvider",
    ],
    "testing": [
        "lambda_cache_di.testing.FakeClock",
        "lambda_cache_di.testing.LambdaContext",
        "lambda_cache_di.testing.runtime_api.InvocationFailed",
    ],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module."""
    folder = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


def text_of(fragment: str) -> str:
    """The text of an HTML fragment, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(page: str, identifier: str) -> str:
    """The text from the heading of `identifier` to the next heading of its level or above."""
    heading = re.search(rf'<h(\d) id="{re.escape(identifier)}"', page)
    assert heading is not None, identifier
    following = re.compile(rf"<h[1-{heading.group(1)}][ >]").search(page, heading.end())
    return text_of(page[heading.start() : following.start() if following else len(page)])


class TestApiReference:
    """The API pages show how to construct each class, user-facing names first, each once."""

    @pytest.mark.parametrize(
        "identifier",
        [(page, name) for page, names in CLASSES_WITH_ARGUMENTS.items() for name in names],
        ids=lambda pair: pair[1].rsplit(".", 1)[-1],
    )
    def test_class_shows_its_signature_and_arguments(self, site, identifier):
        """The class's heading is followed by `Name(arguments)` and a Parameters list."""
        page, name = identifier
        text = section((site / "api" / page / "index.html").read_text(), name)
        short = name.rsplit(".", 1)[-1]
        assert re.search(rf"{short} \( [\w*]", text), text[:300]
        assert "Parameters:" in text

    def test_cache_stats_lists_its_fields(self, site):
        """CacheStats shows its four counters."""
        page = (site / "api" / "providers" / "index.html").read_text()
        text = section(page, "lambda_cache_di.core.cache.CacheStats")
        assert re.findall(r"(\w+) \( int \)", text) == ["hits", "misses", "errors", "stale"]

    def test_providers_page_opens_with_what_users_call(self, site):
        """The providers page starts with SSMParameter and shows none of the package's internals."""
        page = (site / "api" / "providers" / "index.html").read_text()
        headings = re.findall(r'<h2 id="(lambda_cache_di[^"]+)"', page)
        assert headings[0] == "lambda_cache_di.providers.ssm.SSMParameter"
        internals = ("arguments", "sharing", "stamps", "private_value", "resolve_client")
        assert [h for h in headings if any(word in h for word in internals)] == []

    @pytest.mark.parametrize("page", ["providers", "testing"])
    def test_each_name_once(self, site, page):
        """No class or function is documented twice on a page."""
        text = (site / "api" / page / "index.html").read_text()
        headings = re.findall(r'<h[23] id="(lambda_cache_di[^"]+)"', text)
        names = Counter(heading.rsplit(".", 1)[-1] for heading in headings)
        assert [name for name, count in names.items() if count > 1] == []
        assert len(headings) >= 8


def chromium() -> str:
    """The Chromium executable, or a skip that says how to get it."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip(
            "Chromium is not installed and could not be here: `apt-get install -y chromium` "
            "(which .ci/run does) lets this test check the site's layout"
        )
    return executable


def run_chromium(arguments: list[str], profile: Path) -> str:
    """Chromium's stdout for one headless run, in a fresh profile folder."""
    profile.mkdir()
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("page", SCREENSHOT_PAGES)
def test_nothing_scrolls_or_breaks_at_1280_px(site, page, tmp_path, tmp_path_factory):
    """At 1280 px no code block scrolls sideways, no table cell cuts a word; screenshot saved."""
    original = site / page / "index.html"
    checked = original.with_name("layout-check.html")
    checked.write_text(original.read_text().replace("</body>", LAYOUT_CHECK, 1))
    dom = run_chromium(
        ["--virtual-time-budget=5000", "--dump-dom", checked.as_uri()], tmp_path / "dom"
    )
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found is not None, "the layout script did not run"
    layout = json.loads(html.unescape(found.group(1)))
    assert layout["width"] == 1280
    assert layout["blocks"] >= 1
    assert (layout["scrolling"], layout["broken"]) == ([], [])

    screenshots = tmp_path_factory.getbasetemp() / "screenshots"
    screenshots.mkdir(exist_ok=True)
    picture = screenshots / (page.replace("/", "-") + ".png")
    run_chromium([f"--screenshot={picture}", original.as_uri()], tmp_path / "shot")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
