"""The rendered site (``make site``), opened in headless Chromium with no network.

The test builds ``build/site`` from the committed notebooks (docs/site/build.py,
as ``make site`` does, but with every page read afresh and any Sphinx warning
an error), then opens the index, every notebook page, the claims
page, the API page and a search, from the file system, with every request
that is not ``file://`` aborted. A page fails on: a failed or blocked request,
an image that did not load, a JavaScript error, math left as TeX source (or no
MathJax output on a page with math), a JS-HTML animation without working
controls, Chinese text without glyphs; the search for "wasserstein" must list
results. Screenshots go to ``build/site-screenshots/``.

It needs Debian's ``chromium`` and ``fonts-noto-cjk`` (``make test`` installs
them when it runs as root, as in CI) and the ``docs`` extra (Sphinx, MyST-NB,
Playwright, MathJax); without them it is skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
                 if Path(p).exists()), None)
CJK_FONT = "Noto Sans CJK SC"


def _site_module(filename="build.py", name="gantoy_site_build"):
    """A module of docs/site (the site builder by default), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "site" / filename)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _site_builder():
    return _site_module()


def test_api_pages_that_re_export_a_class_are_read_after_its_own():
    pytest.importorskip("docutils")
    ext = _site_module("gantoy_site_ext.py", "gantoy_site_ext")
    docnames = ["api", "generated/gantoy", "generated/gantoy.gan.engine", "generated/gantoy.gan.model", "index"]
    ext._home_pages_first(None, None, docnames)
    assert docnames == ["api", "generated/gantoy.gan.model", "index", "generated/gantoy", "generated/gantoy.gan.engine"]


def test_solutions_are_folded():
    site = _site_builder()
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# 03 · A title"},
        {"cell_type": "markdown", "metadata": {"tags": ["solution"]}, "source": ["1. Look: $x$."]},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "1 + 1", "outputs": []},
        {"cell_type": "code", "metadata": {}, "source": "2", "outputs": []},
    ]}
    folded = site.fold_solutions(nb)
    assert folded["cells"][1]["source"].startswith(":::::::::{solution}\n1. Look: $x$.")
    assert folded["cells"][2]["metadata"]["tags"] == ["solution", "hide-cell"]
    assert folded["cells"][3] == nb["cells"][3] and nb["cells"][2]["metadata"]["tags"] == ["solution"]
    assert site.notebook_title(nb, "03_x") == "03 · A title"


def test_sliders_become_a_note_and_widget_state_is_dropped():
    # a page cannot run a kernel, and the widget JavaScript would come from a CDN
    site = _site_builder()
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
            "text/plain": "interactive(children=...)"}
    nb = {"metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "w", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "kept\n"},
            {"output_type": "execute_result", "data": view, "metadata": {}, "execution_count": 1}]},
    ]}
    folded = site.fold_solutions(nb)
    outs = folded["cells"][0]["outputs"]
    assert outs[0] == nb["cells"][0]["outputs"][0]
    assert outs[1]["data"] == {"text/markdown": site.WIDGET_NOTE}
    assert "widgets" not in folded["metadata"] and "widgets" in nb["metadata"]


def test_links_to_another_notebooks_heading_use_mysts_lower_case_anchor():
    site = _site_builder()
    text = "See [notebook 01, the stall](01_minimax_and_nash.ipynb#Why-the-1-d-penalty-stalls) and [x](https://a.b/#Keep)."
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}]}
    out = site.fold_solutions(nb)["cells"][0]["source"]
    assert "(01_minimax_and_nash.ipynb#why-the-1-d-penalty-stalls)" in out and "(https://a.b/#Keep)" in out


def test_run_times_read_both_forms_of_the_verdicts_page(tmp_path, monkeypatch):
    site = _site_builder()
    monkeypatch.setattr(site, "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "verdicts.md"
    page.write_text("from its last run (2026-01-01 00:00 UTC)\n| notebook | seconds |\n|---|---|\n"
                    "| 04_js | 12.3 |\n| 10_gp (alone) | 80.0 |\n| 05_v | FAILED |\n| total | 92.3 |\n")
    text = "\n".join(site.run_times(["04_js", "05_v", "10_gp", "99_none"]))
    assert "| notebook | seconds |" in text and "executed" not in text
    assert "| [04_js](notebooks/04_js.ipynb) | 12.3 |" in text and "| [10_gp](notebooks/10_gp.ipynb) | 80.0 |" in text
    assert "| [05_v](notebooks/05_v.ipynb) | FAILED |" in text and "99_none" not in text
    page.write_text("after its last run (2026-02-02 10:00 UTC), which executed 10_gp\n"
                    "| notebook | seconds | executed |\n|---|---|---|\n| 04_js | 12.3 | 2026-01-01 09:30 UTC |\n"
                    "| 10_gp (alone) | 80.0 | 2026-02-02 10:00 UTC (last run) |\n| total | 92.3 | |\n")
    text = "\n".join(site.run_times(["04_js", "10_gp"]))
    assert "(2026-02-02 10:00 UTC) and, for the notebooks it did not run, from their own records" in text
    assert "| [04_js](notebooks/04_js.ipynb) | 12.3 | 2026-01-01 09:30 UTC |" in text
    assert "| [10_gp](notebooks/10_gp.ipynb) | 80.0 | 2026-02-02 10:00 UTC (last run) |" in text


def _requirements():
    missing = [m for m in ("sphinx", "myst_nb", "playwright", "mathjax") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {', '.join(missing)}): "
                    "`make test` installs it (pip install -e '.[docs]')")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed: `make test` installs chromium and "
                    "fonts-noto-cjk with apt-get when it runs as root (as in CI)")


_MATH_LEFT = re.compile(r"\\\(|\\\[|(?<![\\\w])\$[^$\n]{1,200}\$")
_CJK = re.compile(r"[\u3400-\u9fff]")

_PAGE_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  return {
    text: clone.innerText,
    mathSources: document.querySelectorAll('.math').length,
    mathRendered: document.querySelectorAll('mjx-container').length,
    badImages: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
                    .map(i => i.src.slice(0, 120)),
    animations: document.querySelectorAll('.animation').length,
    sliders: document.querySelectorAll('.animation input[type=range]').length,
  };
}"""

# Pixels of each character drawn in the page's body font; a character drawn as
# the same pixels as an unassigned code point (or as nothing) has no glyph.
_TOFU = """(chars) => {
  const c = document.createElement('canvas'); c.width = 48; c.height = 48;
  const g = c.getContext('2d');
  const font = '32px ' + getComputedStyle(document.body).fontFamily;
  const px = (ch) => { g.clearRect(0, 0, 48, 48); g.font = font; g.fillText(ch, 4, 38);
                       return g.getImageData(0, 0, 48, 48).data.join(','); };
  const none = [px('\\u0378'), px(' ')];
  return chars.filter(ch => none.includes(px(ch)));
}"""

_ANIMATION_STEPS = """() => Array.from(document.querySelectorAll('.animation')).map(a => {
  const s = a.querySelector('input[type=range]');
  const next = Array.from(a.querySelectorAll('button')).find(b => (b.getAttribute('onclick') || '').includes('next_frame'));
  if (!s || !next) return false;
  const before = Number(s.value); next.click(); return Number(s.value) !== before;
})"""


def test_site_in_browser():
    _requirements()
    from playwright.sync_api import sync_playwright

    index = _site_builder().build(strict=True)  # a Sphinx warning fails the build
    site = index.parent
    shots = ROOT / "build" / "site-screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    pages = [index] + sorted((site / "notebooks").glob("*.html")) + [site / "docs" / "claims-c1-c20.html", site / "api.html"]
    assert len(pages) > 4, f"no notebook pages in {site}"
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def block(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                problems.append(f"network request blocked: {route.request.url[:120]}")
                route.abort()

        context.route("**/*", block)
        for path in pages:
            name = str(path.relative_to(site))
            page = context.new_page()
            page.on("pageerror", lambda err, n=name: problems.append(f"{n}: JavaScript error: {err}"))
            page.on("console", lambda msg, n=name: msg.type == "error"
                    and problems.append(f"{n}: console error: {msg.text[:200]}"))
            page.on("requestfailed", lambda req, n=name: problems.append(
                f"{n}: request failed: {req.url[:120]} ({req.failure})"))
            page.goto(path.as_uri(), wait_until="load")
            state = page.evaluate(_PAGE_STATE)
            for src in state["badImages"]:
                problems.append(f"{name}: image did not load: {src}")
            left = _MATH_LEFT.findall(state["text"])
            if left:
                problems.append(f"{name}: math not rendered: {left[:3]}")
            if state["mathSources"] and not state["mathRendered"]:
                problems.append(f"{name}: {state['mathSources']} math elements and no MathJax output")
            html_text = path.read_text(encoding="utf-8")
            embedded = html_text.count("anim-slider") > 0 or "new Animation(" in html_text
            if embedded and (state["animations"] == 0 or state["sliders"] < state["animations"]):
                problems.append(f"{name}: a JS-HTML animation without its controls")
            if state["animations"]:
                steps = page.evaluate(_ANIMATION_STEPS)
                if not all(steps):
                    problems.append(f"{name}: animation controls do not step the frames: {steps}")
            cjk = sorted(set(_CJK.findall(state["text"])))
            if cjk:
                sample = "".join(cjk[:40])
                if not page.evaluate("(s) => document.fonts.check('16px \"%s\"', s)" % CJK_FONT, sample):
                    problems.append(f"{name}: document.fonts.check: no {CJK_FONT} for {sample[:10]}")
                tofu = page.evaluate(_TOFU, cjk[:200])
                if tofu:
                    problems.append(f"{name}: Chinese characters drawn without glyphs: {''.join(tofu[:20])}")
            page.screenshot(path=str(shots / (name.replace("/", "_").removesuffix(".html") + ".png")))
            page.close()
        page = context.new_page()
        page.on("pageerror", lambda err: problems.append(f"search: JavaScript error: {err}"))
        page.goto((site / "search.html").as_uri() + "?q=wasserstein", wait_until="load")
        try:
            page.wait_for_selector("#search-results ul.search li", timeout=15000)
        except Exception:
            problems.append("search.html?q=wasserstein lists no results")
        page.screenshot(path=str(shots / "search.png"))
        browser.close()
    assert not problems, "\n".join(problems)


def test_figures_draw_no_glyph_they_lack():
    """Chinese stays out of the matplotlib figures (its fonts have no CJK glyphs):
    no committed output carries matplotlib's "Glyph ... missing from font" warning."""
    missing = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                text = out.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                if re.search(r"Glyph \d+ .*missing from", text):
                    missing.append(f"{path.name}: {text.strip().splitlines()[0][:120]}")
    assert not missing, missing
