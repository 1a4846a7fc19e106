"""The claims ledger: how a notebook records that a claim was checked.

A notebook ends with rows ``(claim, what, measured, threshold, passed)``. Each
row is shown in the notebook's output *and* embedded there as machine-readable
JSON (MIME type :data:`MIME`), so the executed notebook itself carries its
ledger: ``make demo`` (:mod:`gantoy.demo`) reads the rows back from the outputs
of a fresh run and never trusts a file written on the side.

A row may declare, before the run, ``expected=False`` with a ``reason``: the
course text overstates, or the effect does not show at toy scale. Such a row is
a known, honest failure; a run is "as declared" when ``passed == expected``.

Example:
    >>> row = check("C7", "|JS - log 2| at theta = 1", 0.0, "< 1e-12", display=False)
    >>> row["passed"], row["as_declared"]
    (True, True)
    >>> check("C7", "x", 3.0, ">= 5", display=False)["passed"]
    False
"""

from __future__ import annotations

import html
import math
import numbers
import operator
import re
from typing import Any

__all__ = ["MIME", "check", "evaluate", "format_value"]

MIME = "application/vnd.gantoy.ledger+json"

_OPS = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_THRESHOLD = re.compile(r"^\s*(<=|>=|==|<|>)\s*([-+0-9.eEinfa]+)\s*$")


def evaluate(measured: Any, threshold: str) -> bool:
    """Compare a numeric ``measured`` value with a threshold string.

    ``threshold`` is an operator and a number: ``"< 1e-12"``, ``">= 3"``,
    ``"== 8"``. NaN never passes.

    >>> evaluate(0.5, "< 1"), evaluate(float("nan"), "< 1")
    (True, False)
    """
    m = _THRESHOLD.match(threshold)
    if m is None:
        raise ValueError(
            f"threshold must look like '< 1e-12', '>= 3' or '== 8'; got {threshold!r}"
            " (pass passed=... explicitly for a compound condition)"
        )
    try:
        value = float(measured)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"measured must be a number to compare with {threshold!r}; got {measured!r}"
        ) from err
    if math.isnan(value):
        return False
    return bool(_OPS[m.group(1)](value, float(m.group(2))))


def format_value(value: Any) -> str:
    """A short, readable rendering of a measured value."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if v == 0 or math.isinf(v) or math.isnan(v):
            return str(v)
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(value)


def _to_plain(value: Any) -> Any:
    """Turn numpy / JAX scalars into JSON-friendly Python values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return str(value)
    return value


def check(
    claim: str,
    what: str,
    measured: Any,
    threshold: str,
    passed: bool | None = None,
    *,
    expected: bool = True,
    reason: str = "",
    display: bool = True,
) -> dict:
    """Record (and show) one row of the claims ledger.

    Args:
      claim: the claim id, ``"C1"`` .. ``"C20"``.
      what: what was measured, in words.
      measured: the measured value (a number, or a short string).
      threshold: the pass condition fixed before the run. Either a comparison
        such as ``"< 1e-12"`` (then ``passed`` is computed from ``measured``) or
        free text describing a compound condition (then give ``passed``).
      passed: the outcome, when it is not a simple comparison of ``measured``.
      expected: the outcome declared before the run. ``False`` marks a known,
        honest failure (give a ``reason``).
      reason: why a row is declared ``expected=False``.
      display: show the row in the notebook (``False`` in doctests).

    Returns:
      The row as a dict with keys ``claim, what, measured, threshold, passed,
      expected, reason, as_declared``.
    """
    if not re.fullmatch(r"C([1-9]|1[0-9]|20)", str(claim)):
        raise ValueError(f"claim must be one of C1..C20; got {claim!r}")
    if not expected and not reason:
        raise ValueError(f"{claim}: a row declared expected=False needs a reason")
    if passed is None:
        passed = evaluate(measured, threshold)
    passed = bool(passed)
    row = {
        "claim": str(claim),
        "what": str(what),
        "measured": _to_plain(measured),
        "threshold": str(threshold),
        "passed": passed,
        "expected": bool(expected),
        "reason": str(reason),
        "as_declared": passed == bool(expected),
    }
    if display:
        _display(row)
    return row


def _status(row: dict) -> str:
    if row["passed"]:
        return "PASS" if row["expected"] else "PASS (declared fail!)"
    return "FAIL (declared: " + row["reason"] + ")" if not row["expected"] else "FAIL"


def _display(row: dict) -> None:
    text = (
        f"[ledger] {row['claim']}: {row['what']} = {format_value(row['measured'])}"
        f"  (threshold {row['threshold']})  -> {_status(row)}"
    )
    colour = "#1b7837" if row["as_declared"] else "#b2182b"
    cells = [
        row["claim"],
        row["what"],
        format_value(row["measured"]),
        row["threshold"],
        _status(row),
    ]
    tds = "".join(f"<td style='padding:2px 8px'>{html.escape(c)}</td>" for c in cells)
    rich = (
        "<table><tr style='color:" + colour + "'><td><b>ledger</b></td>" + tds + "</tr></table>"
    )
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    ipy_display({"text/plain": text, "text/html": rich, MIME: row}, raw=True)
