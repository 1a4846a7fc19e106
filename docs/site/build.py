"""Build the gantoy site: ``python docs/site/build.py`` (``make site``) -> build/site/.

The committed, executed notebooks (``notebooks/NN_*.ipynb``) are rendered by
Sphinx + MyST-NB with execution off: nothing is run here. The sources are
staged in ``build/site-src`` (files rewritten only when their content changes,
so a second build redoes only what changed):

- ``index.md``: the claims ledger read from the notebooks' ledger outputs
  (re-judged by :func:`gantoy.notebook.demo.judge_rows`), the run time per
  notebook from ``docs/verdicts.md`` when it has them, and the gallery
  (``docs/gallery/*.png``) when there is one;
- ``notebooks/*.ipynb``: copies in which every cell tagged ``solution`` is
  folded (markdown: the ``solution`` directive; code: MyST-NB's ``hide-cell``);
- ``docs/claims-c1-c20.md`` and ``docs/verdicts.md`` (:data:`DOC_PAGES`);
- ``api.md``: autosummary of gantoy's public modules.

A staged notebook or page whose original is gone is removed.

MathJax is copied from the ``django-static-mathjax`` package into the site
(conf.py), so the pages need no network.
"""

from __future__ import annotations

import html
import json
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # this checkout's gantoy, also when run as a script
    sys.path.insert(0, str(ROOT))
CONF = Path(__file__).resolve().parent
NOTEBOOKS = "notebooks/[0-9][0-9]_*.ipynb"
API_PACKAGES = ("gantoy.measures", "gantoy.distances", "gantoy.gan", "gantoy.studies", "gantoy.notebook")
TITLE = re.compile(r"^#\s+(\d\d)\s*·\s*(.+)$")
DOC_PAGES = ("claims-c1-c20", "verdicts")  # docs/<name>.md, in the Reference section when present


def _write(path: Path, data: str | bytes) -> None:
    """Write only if the content differs (keeps mtimes, so Sphinx rebuilds less)."""
    data = data.encode() if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebook_title(nb: dict, stem: str) -> str:
    """The title from the first cell ``# NN · Title`` (the file name otherwise)."""
    first = _source(nb["cells"][0]).strip().splitlines() if nb.get("cells") else []
    m = TITLE.match(first[0]) if first else None
    return f"{m.group(1)} · {m.group(2)}" if m else stem


# A stylesheet an output asks for from the network (matplotlib's animation
# player links Font Awesome from a CDN): the site opens offline, so such links
# are dropped, and gantoy.css draws the player's buttons with Unicode glyphs.
_REMOTE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.IGNORECASE)


# A slider (gantoy.notebook.widgets) needs a live kernel to redraw; a page cannot
# run one, and the widget's JavaScript would come from a CDN. The page says so
# instead; the static figure beside each slider stays.
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("*In a live kernel (`make lab`) a slider here redraws this section's figure for any value you "
               "choose; the static figure earlier in this section shows the same quantities at fixed values.*")


def _offline_outputs(cell) -> None:
    for out in cell.get("outputs", []):
        if WIDGET_MIME in out.get("data", {}):
            out["data"] = {"text/markdown": WIDGET_NOTE}
            continue
        html = out.get("data", {}).get("text/html")
        if html is None:
            continue
        text = html if isinstance(html, str) else "".join(html)
        out["data"]["text/html"] = _REMOTE_LINK.sub("", text)


# A link to a heading of another notebook: Jupyter's anchor keeps the heading's
# case ("Why-the-..."), MyST's (myst_heading_anchors) is lower case.
_NOTEBOOK_ANCHOR = re.compile(r"(\(\d\d_[A-Za-z0-9_]+\.ipynb#)([A-Za-z0-9_-]+)\)")


def _site_anchors(cell) -> None:
    if cell["cell_type"] == "markdown":
        cell["source"] = _NOTEBOOK_ANCHOR.sub(lambda m: m.group(1) + m.group(2).lower() + ")", _source(cell))


def fold_solutions(nb: dict) -> dict:
    """A copy of ``nb`` with every cell tagged ``solution`` folded on the page
    (no output that fetches a stylesheet from the network, and a note in place
    of each slider)."""
    nb = json.loads(json.dumps(nb))
    nb.get("metadata", {}).pop("widgets", None)  # saved widget state: nothing on a page can use it
    for cell in nb.get("cells", []):
        _offline_outputs(cell)
        _site_anchors(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" not in tags:
            continue
        if cell["cell_type"] == "code":
            cell["metadata"]["tags"] = tags + ["hide-cell"]
        elif cell["cell_type"] == "markdown":
            fence = ":" * 9
            cell["source"] = f"{fence}{{solution}}\n{_source(cell)}\n{fence}\n"
    return nb


def _cell(text) -> str:
    return html.escape(str(text)).replace("|", "&#124;").replace("\n", " ")


def ledger_section(notebooks: dict[str, dict]) -> list[str]:
    from gantoy.notebook.demo import judge_rows, read_ledger
    from gantoy.notebook.ledger import format_value, result_text

    rows = []
    for stem, nb in notebooks.items():
        try:
            import nbformat

            rows += judge_rows(read_ledger(nbformat.from_dict(nb), stem))
        except ValueError as err:
            rows.append({"claim": "?", "notebook": stem, "what": f"ledger unreadable: {err}",
                         "problem": str(err)})
    out = ["## The claims ledger", "",
           "Every row below is read from the ledger output of a committed notebook and judged "
           "again here from its measured value and threshold.", ""]
    if not rows:
        return out + ["No notebook carries a ledger yet.", ""]
    order = {f"C{i}": i for i in range(1, 100)}
    rows.sort(key=lambda r: (order.get(r.get("claim"), 999)))
    out += ["| claim | notebook | what was measured | value | threshold | verdict |", "|---|---|---|---|---|---|"]
    for r in rows:
        if "passed" in r and r.get("passed") is not None and "problem" not in r:
            verdict = result_text(r)
        else:
            verdict = "not as declared: " + str(r.get("problem", ""))
        if not r.get("as_declared", False):
            verdict = f"**{_cell(verdict)}**"
        else:
            verdict = _cell(verdict)
        cond = r.get("threshold", "")
        if r.get("valid") is not None:
            cond = f"{cond} (valid: {r['valid']})"
        value = format_value(r.get("measured"), r.get("threshold"), r.get("valid")) if "measured" in r else ""
        link = f"[{r['notebook']}](notebooks/{r['notebook']}.ipynb)"
        out.append(f"| {_cell(r.get('claim'))} | {link} | {_cell(r.get('what', ''))} | "
                   f"{_cell(value)} | {_cell(cond)} | {verdict} |")
    return out + [""]


def run_times(stems: list[str]) -> list[str]:
    """The run time table from docs/verdicts.md (written by `make demo`), if any."""
    page = ROOT / "docs" / "verdicts.md"
    if not page.exists():
        return []
    text = page.read_text(encoding="utf-8")
    when = re.search(r"last run \(([^)]*)\)", text)
    # | name [(alone)] | seconds | [executed |]: the third column after a run of some notebooks
    rows = re.findall(r"^\| (\d\d\w*)(?: \(alone\))? \| ([0-9.]+|FAILED) \|(?: ([^|]+) \|)?$", text, flags=re.M)
    times = {name: (seconds, executed) for name, seconds, executed in rows}
    shown = [s for s in stems if s in times]
    if not shown:
        return []
    dated = any(times[s][1] for s in shown)
    out = ["## Run time per notebook", "",
           f"Seconds to execute each notebook in a fresh kernel, from the last `make demo`"
           + (f" ({when.group(1)})" if when else "")
           + (" and, for the notebooks it did not run, from their own records (dated)" if dated else "") + ".", "",
           "| notebook | seconds | executed |" if dated else "| notebook | seconds |",
           "|---|---|---|" if dated else "|---|---|"]
    for s in shown:
        seconds, executed = times[s]
        out.append(f"| [{s}](notebooks/{s}.ipynb) | {seconds} |" + (f" {executed} |" if dated else ""))
    return out + [""]


def gallery(src: Path) -> list[str]:
    pngs = sorted((ROOT / "docs" / "gallery").glob("*.png"))
    if not pngs:
        return []
    out = ["## Gallery", ""]
    for p in pngs:
        _write(src / "gallery" / p.name, p.read_bytes())
        out += [f"```{{figure}} gallery/{p.name}", ":width: 45%", "", p.stem.replace("_", " "), "```", ""]
    return out


def api_page() -> str:
    import gantoy

    modules = ["gantoy"]
    for pkg in API_PACKAGES:
        mod = __import__(pkg, fromlist=["x"])
        modules += [f"{pkg}.{m.name}" for m in pkgutil.iter_modules(mod.__path__) if not m.name.startswith("_")]
    del gantoy
    lines = ["# API reference", "",
             "Generated from the docstrings of gantoy's public modules.", "",
             "```{eval-rst}", ".. autosummary::", "   :toctree: generated", ""]
    lines += [f"   {m}" for m in modules]
    return "\n".join(lines + ["```", ""])


def stage(src: Path) -> list[str]:
    """Write the Sphinx sources into ``src``; return the notebook stems."""
    nbs = {}
    for p in sorted(ROOT.glob(NOTEBOOKS)):
        nbs[p.stem] = json.loads(p.read_text(encoding="utf-8"))
    staged = [src / "notebooks" / f"{stem}.ipynb" for stem in nbs]
    for path, nb in zip(staged, nbs.values()):
        _write(path, json.dumps(fold_solutions(nb), indent=1, ensure_ascii=False))
    pages = [name for name in DOC_PAGES if (ROOT / "docs" / f"{name}.md").exists()]
    for name in pages:
        staged.append(src / "docs" / f"{name}.md")
        _write(staged[-1], (ROOT / "docs" / f"{name}.md").read_bytes())
    for old in [*(src / "notebooks").glob("*.ipynb"), *(src / "docs").glob("*.md")]:
        if old not in staged:  # its original was renamed or removed: no page for it
            old.unlink()
    index = [
        "# gantoy: why the original GAN is hard to train, and why WGAN and WGAN-GP help", "",
        "Executed notebooks for the course: exact divergences, tiny GANs in JAX, and a claims "
        "ledger that judges every claim C1–C20 by a measured value. The pages show the committed "
        "notebooks as executed; nothing runs in the browser.", "",
        "```{toctree}", ":maxdepth: 1", ":caption: Notebooks", "",
        *[f"notebooks/{stem}" for stem in nbs],
        "```", "",
        "```{toctree}", ":maxdepth: 1", ":caption: Reference", "",
        *[f"docs/{name}" for name in pages],
        "api", "```", "",
    ]
    index += ledger_section(nbs) + run_times(list(nbs)) + gallery(src)
    _write(src / "index.md", "\n".join(index))
    _write(src / "api.md", api_page())
    return list(nbs)


def build(out: Path | str = ROOT / "build" / "site", *, quiet: bool = True, strict: bool = False) -> Path:
    """Build the site into ``out`` and return the path of its index.html.

    With ``strict`` every page is read again (not only those that changed since
    the last build) and any Sphinx warning fails the build, after all of them
    are reported (``-E -W --keep-going``): the site test builds it so."""
    out = Path(out)
    src = ROOT / "build" / "site-src"
    stage(src)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONF),
           "-d", str(ROOT / "build" / "site-doctrees"), str(src), str(out)]
    if quiet:
        cmd.append("-q")
    if strict:
        cmd += ["-E", "-W", "--keep-going"]
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return out / "index.html"


if __name__ == "__main__":
    index = build(quiet="-v" not in sys.argv)
    print(f"[site] {index.relative_to(ROOT)} (open it in a browser: file://{index})")
