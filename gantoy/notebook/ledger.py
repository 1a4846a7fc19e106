"""The claims ledger: how a notebook records that a claim was checked.

A row says: claim ``C1`` .. ``C20``, what was measured, the measured value,
and the threshold it had to meet, fixed before the run. The ledger computes
the outcome itself from the value and the threshold: there is no way to hand
it a verdict. Each row travels inside the notebook's outputs as JSON (MIME type
:data:`MIME`), so the executed notebook carries its own ledger; ``make demo``
(:mod:`gantoy.notebook.demo`) reads the rows back from the run that just happened and
judges them again with :func:`reevaluate` instead of trusting the stored
booleans.

**Thresholds** are short strings (:func:`evaluate` gives the whole grammar):
``"< 1e-12"``, ``"!= 0"``, ``"in [0.8, 1.2]"``, ``"finite and >= 0"`` for one
number; ``"all < 0"``, ``"any > 1"``, ``"at least 5 of 8 >= 23"`` and the
element-wise ``"< 0 ; > 0"`` for a short sequence of numbers. NaN satisfies
no condition.

**Declared failures.** A row may declare before the run ``expected=False``
with a ``reason`` (the course text overstates, or the effect does not show at
toy scale) *and* a ``valid`` condition: the physical range the value must lie
in for the failure to count (``"finite"``, ``"in [0, 1]"``). A NaN or an
out-of-range value is then a broken measurement, not the declared failure::

    passed      = evaluate(measured, threshold)
    valid_ok    = evaluate(measured, valid)      (True when valid is None)
    as_declared = passed if expected else (valid_ok and not passed)

**Rows at the edge.** A GAN trained for real carries a difference in the last
bit of its arithmetic into its results, so another CPU (or other XLA settings)
gives other values. A row whose value such a difference (or another draw of
seeds) moves across its threshold, however far apart the values, may declare
``expected=None`` ("at the edge"),
with a ``reason`` that gives the evidence and a ``valid`` range: then either
outcome is as declared (``as_declared = valid_ok``), the result reads ``pass
(at the edge, declared): REASON`` or ``fail (at the edge, declared): REASON``,
and the row never counts as the claim reproduced.

**The value shown is the value judged.** Rows keep the measured value at full
precision; the displayed number has the fewest significant digits (at least
4) whose rounded value meets the threshold (and ``valid``) exactly as the full
value does: 0.09996 against ``"< 0.1"`` shows as ``0.09996``, never ``0.1``.

**In a notebook**, collect the rows and show them once, as one table, in the
last cell::

    from gantoy.notebook import ledger
    rows = [
        ledger.check("C7", "|JS - log 2| at theta = 1", abs(js - np.log(2)), "< 1e-12",
                     display=False),
        ledger.check("C3", "modes covered, -log D", modes, ">= 6", expected=False,
                     reason="drops modes at toy scale", valid="in [0, 8]", display=False),
    ]
    ledger.show(rows)

:func:`show` (or :func:`table` as a cell's last expression) emits one output
holding the table and the rows; each row is then read back exactly once.
``check(...)`` with the default ``display=True`` emits a one-row output of its
own instead: use one way or the other for a given row, never both (``make
demo`` refuses a row that appears alone and again in a table).

Example:
    >>> row = check("C7", "|JS - log 2| at theta = 1", 0.0, "< 1e-12", display=False)
    >>> row["passed"], row["as_declared"]
    (True, True)
    >>> row = check("C3", "modes covered", 2, ">= 6", expected=False,
    ...             reason="toy scale", valid="in [0, 8]", display=False)
    >>> row["passed"], row["valid_ok"], row["as_declared"]
    (False, True, True)
    >>> format_value(0.09996, "< 0.1")
    '0.09996'
"""

from __future__ import annotations

import html
import math
import numbers
import operator
import re
from typing import Any

import numpy as np

__all__ = [
    "MIME",
    "Table",
    "check",
    "evaluate",
    "format_value",
    "reevaluate",
    "result_text",
    "show",
    "table",
]

MIME = "application/vnd.gantoy.notebook.ledger+json"

GRAMMAR = """\
threshold grammar:
  for one number:
    cmp     OP NUMBER               OP in  <  <=  >  >=  ==  !=
    range   in [NUMBER, NUMBER]     closed interval
    finite  finite
    cond    cmp | range | finite | cond and cond
  for a sequence of n numbers:
    all COND | any COND | at least K of N COND (N == n) | COND1 ; COND2 ; ... (n parts)
  NUMBER is a float literal: 3, -3, 0.5, 1e-12, inf, -inf"""

_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_NUMBER = r"[-+]?(?:inf|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_CMP = re.compile(rf"(<=|>=|==|!=|<|>)\s*({_NUMBER})")
_RANGE = re.compile(rf"in\s*\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\]")
_AT_LEAST = re.compile(r"at\s+least\s+(\d+)\s+of\s+(\d+)\s+(.+)", re.S)
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


# --- parsing ---------------------------------------------------------------------


def _bad(threshold: str, why: str) -> ValueError:
    return ValueError(f"cannot parse threshold {threshold!r}: {why}\n{GRAMMAR}")


def _parse_cond(text: str, threshold: str) -> tuple:
    """A scalar condition as a tuple of atoms, all of which must hold."""
    atoms = []
    for part in re.split(r"\s+and\s+", text.strip()):
        part = part.strip()
        if part == "finite":
            atoms.append(("finite",))
        elif m := _CMP.fullmatch(part):
            atoms.append(("cmp", m.group(1), float(m.group(2))))
        elif m := _RANGE.fullmatch(part):
            lo, hi = float(m.group(1)), float(m.group(2))
            if not lo <= hi:
                raise _bad(threshold, f"empty range [{m.group(1)}, {m.group(2)}]")
            atoms.append(("range", lo, hi))
        else:
            raise _bad(threshold, f"{part!r} is not a condition")
    return tuple(atoms)


def _parse(threshold: str) -> tuple:
    """``("scalar", cond)``, ``("all"|"any", cond)``, ``("at least", k, n, cond)``
    or ``("each", (cond, ...))``."""
    if not isinstance(threshold, str):
        raise ValueError(f"threshold must be a string; got {threshold!r}\n{GRAMMAR}")
    text = threshold.strip()
    if ";" in text:
        return ("each", tuple(_parse_cond(p, threshold) for p in text.split(";")))
    if m := re.fullmatch(r"(all|any)\s+(.+)", text, re.S):
        return (m.group(1), _parse_cond(m.group(2), threshold))
    if m := _AT_LEAST.fullmatch(text):
        k, n = int(m.group(1)), int(m.group(2))
        if not 1 <= k <= n:
            raise _bad(threshold, f"'at least {k} of {n}' needs 1 <= K <= N")
        return ("at least", k, n, _parse_cond(m.group(3), threshold))
    return ("scalar", _parse_cond(text, threshold))


def _holds(x: float, cond: tuple) -> bool:
    """Whether one number satisfies a scalar condition (NaN never does)."""
    if math.isnan(x):
        return False
    for atom in cond:
        if atom[0] == "finite":
            ok = math.isfinite(x)
        elif atom[0] == "cmp":
            ok = _OPS[atom[1]](x, atom[2])
        else:
            ok = atom[1] <= x <= atom[2]
        if not ok:
            return False
    return True


def _conditions(form: tuple, measured, threshold: str) -> list[tuple]:
    """The scalar condition each element of ``measured`` is judged by.

    Raises ValueError when the form and the value's shape do not match.
    """
    kind = form[0]
    if not isinstance(measured, tuple):
        if kind != "scalar":
            raise ValueError(
                f"threshold {threshold!r} is for a sequence, but measured is the single "
                f"number {_show_raw(measured)}"
            )
        return [form[1]]
    n = len(measured)
    if kind == "scalar":
        raise ValueError(
            f"measured is a sequence of {n} numbers, but threshold {threshold!r} is for "
            "one number (use 'all ...', 'any ...', 'at least K of N ...' or 'c1 ; c2 ; ...')"
        )
    if kind == "each":
        if len(form[1]) != n:
            raise ValueError(
                f"threshold {threshold!r} has {len(form[1])} element-wise parts, but "
                f"measured has {n} numbers"
            )
        return list(form[1])
    if kind == "at least" and form[2] != n:
        raise ValueError(
            f"threshold {threshold!r} counts over N = {form[2]} numbers, but measured "
            f"has {n} numbers"
        )
    return [form[-1]] * n


# --- measured values --------------------------------------------------------------


def _scalar(x: Any) -> int | float:
    if isinstance(x, (str, bytes)):
        raise ValueError(
            f"measured must be a number or a short sequence of numbers; got the string "
            f"{x!r} (a string is not a measurement)"
        )
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    raise ValueError(f"measured must be a real number; got {x!r} of type {type(x).__name__}")


def _measurement(measured: Any) -> int | float | tuple:
    """A number (int or float) or a tuple of numbers, at full precision."""
    if isinstance(measured, (list, tuple)):
        values = tuple(_scalar(x) for x in measured)
    elif isinstance(measured, (str, bytes, numbers.Number, np.bool_)):
        return _scalar(measured)
    else:
        arr = np.asarray(measured)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"measured must be real numbers; got dtype {arr.dtype} ({measured!r})")
        if arr.ndim == 0:
            return _scalar(arr.item())
        if arr.ndim != 1:
            raise ValueError(f"measured must be a number or a 1-d sequence; got shape {arr.shape}")
        values = tuple(_scalar(x) for x in arr.tolist())
    if not values:
        raise ValueError("measured is an empty sequence")
    return values


def _decode(stored: Any) -> int | float | tuple:
    """A measured value as rows store it in JSON (non-finite floats as strings)."""
    if isinstance(stored, str) and stored in _NONFINITE:
        return _NONFINITE[stored]
    if isinstance(stored, list):
        return _measurement([_NONFINITE.get(x, x) if isinstance(x, str) else x for x in stored])
    return _measurement(stored)


def _encode(value: int | float | tuple) -> Any:
    if isinstance(value, tuple):
        return [_encode(x) for x in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _show_raw(x: Any) -> str:
    return repr(x) if isinstance(x, float) else str(x)


# --- judging ----------------------------------------------------------------------


def evaluate(measured: Any, threshold: str) -> bool:
    """Whether ``measured`` meets ``threshold``.

    A scalar condition ``cond`` is one or more of these joined by ``and``:

    * ``OP NUMBER`` with ``OP`` one of ``<  <=  >  >=  ==  !=``
    * ``in [LO, HI]``, the closed interval
    * ``finite``

    ``NUMBER`` is a float literal (``3``, ``-3``, ``1e-12``, ``inf``, ``-inf``).
    A sequence of n numbers takes ``all COND``, ``any COND``,
    ``at least K of N COND`` (N must equal n) or the element-wise
    ``COND1 ; COND2 ; ...`` with exactly n parts. NaN satisfies no condition,
    not even ``!= 0``.

    Args:
      measured: a real number (``bool`` counts as 0/1, numpy/JAX scalars are
        fine) or a short sequence of them (tuple, list, 1-d array).
      threshold: the condition, as above.

    Returns:
      ``True`` when the condition holds.

    Raises:
      ValueError: the threshold does not parse (the message shows the grammar),
        ``measured`` is not numeric (strings are not measurements), or a scalar
        meets a sequence form (or the reverse, or the lengths differ).

    Examples:
        >>> evaluate(0.5, "< 1"), evaluate(float("nan"), "!= 0")
        (True, False)
        >>> evaluate(float("inf"), "== inf"), evaluate(float("inf"), "finite")
        (True, False)
        >>> evaluate(1.05, "in [0.8, 1.2]"), evaluate(3, "> 0.1 and < 10")
        (True, True)
        >>> evaluate((-0.8, 0.95), "< 0 ; > 0"), evaluate([-2, -1, 0], "all < 0")
        (True, False)
        >>> evaluate([25, 24, 3, 25], "at least 3 of 4 >= 23")
        True
        >>> evaluate([1, 2], "< 3")
        Traceback (most recent call last):
        ...
        ValueError: measured is a sequence of 2 numbers, but threshold '< 3' is for one number (use 'all ...', 'any ...', 'at least K of N ...' or 'c1 ; c2 ; ...')
    """
    form = _parse(threshold)
    value = _measurement(measured)
    conds = _conditions(form, value, threshold)
    if not isinstance(value, tuple):
        return _holds(float(value), conds[0])
    hits = [_holds(float(x), c) for x, c in zip(value, conds)]
    if form[0] == "any":
        return any(hits)
    if form[0] == "at least":
        return sum(hits) >= form[1]
    return all(hits)


def _declared(expected: Any) -> bool | None:
    if expected is None:
        return None
    if not isinstance(expected, (bool, np.bool_)):
        raise ValueError(f"expected must be True, False or None (at the edge); got {expected!r}")
    return bool(expected)


def _judge(measured, threshold: str, valid: str | None, expected: bool | None, reason: str) -> dict:
    expected = _declared(expected)
    if expected is not True:
        declared = "expected=False" if expected is False else "expected=None (at the edge)"
        if not reason:
            raise ValueError(f"a row declared {declared} needs a reason")
        if valid is None:
            raise ValueError(
                f"a row declared {declared} needs a valid condition (e.g. valid='finite' "
                "or valid='in [0, 1]'): the range the value must lie in for the "
                "measurement to count"
            )
    passed = evaluate(measured, threshold)
    valid_ok = True if valid is None else evaluate(measured, valid)
    if expected is None:
        as_declared = valid_ok
    else:
        as_declared = passed if expected else (valid_ok and not passed)
    return {"passed": passed, "valid_ok": valid_ok, "as_declared": as_declared}


def _check_claim(claim: Any) -> str:
    if not re.fullmatch(r"C([1-9]|1[0-9]|20)", str(claim)):
        raise ValueError(f"claim must be one of C1..C20; got {claim!r}")
    return str(claim)


def check(
    claim: str,
    what: str,
    measured: Any,
    threshold: str,
    *,
    expected: bool | None = True,
    reason: str = "",
    valid: str | None = None,
    declared_after_run: bool = False,
    display: bool = True,
    **unknown: Any,
) -> dict:
    """Record (and by default show) one row of the claims ledger.

    The outcome is computed, never given::

        passed      = evaluate(measured, threshold)
        valid_ok    = evaluate(measured, valid)      (True when valid is None)
        as_declared = passed if expected else (valid_ok and not passed)
        as_declared = valid_ok                       (expected=None: at the edge)

    Args:
      claim: the claim id, ``"C1"`` .. ``"C20"``.
      what: what was measured, in words.
      measured: the measured value: a real number or a short sequence of real
        numbers (see :func:`evaluate`); stored at full precision.
      threshold: the pass condition fixed before the run (grammar in
        :func:`evaluate`).
      expected: the outcome declared before the run. ``False`` marks a known,
        honest failure and needs ``reason`` and ``valid``. ``None`` marks a
        row at the edge: the last bits of the arithmetic (another CPU, other
        XLA settings) or the seeds move its value across the threshold,
        shown to happen; either outcome is as declared, the row never
        counts as the claim reproduced, and it needs ``reason`` (the evidence)
        and ``valid``.
      reason: why a row is declared ``expected=False`` or ``None``.
      valid: the range the value must lie in for the measurement to count
        (same grammar). Required when ``expected=False``: a NaN or
        out-of-range value is then *not* the declared failure.
      declared_after_run: the row was declared ``expected=False`` only after
        a run failed it, or ``expected=None`` only after a run came out other
        than declared. Settings and threshold stay as written before that
        run; the result then reads ``fail (declared after its first run):
        REASON`` (or ``... (at the edge, declared after a run): REASON``), so a
        reader can tell it from an outcome predicted in advance. Not with
        ``expected=True``.
      display: emit the row as a notebook output of its own. Give ``False``
        when the rows are collected and shown with :func:`show`.
      **unknown: any other keyword raises ``TypeError``; in particular
        ``passed``, which the ledger computes itself.

    Returns:
      The row, a dict with keys ``claim, what, measured, threshold, valid,
      expected, reason, declared_after_run, passed, valid_ok, as_declared`` (JSON-ready: non-finite
      floats stored as ``"inf"``, ``"-inf"``, ``"nan"``, sequences as lists).

    Raises:
      TypeError: ``passed=`` (or another unknown keyword) was given.
      ValueError: bad claim id, a threshold or ``valid`` that does not parse or
        does not fit the value, a non-numeric ``measured``, or
        ``expected=False`` or ``None`` without ``reason`` and ``valid``, or
        ``declared_after_run`` with ``expected=True``.

    Example:
        >>> row = check("C8", "median slope", 1.0065, "in [0.8, 1.2]", display=False)
        >>> row["passed"], row["measured"]
        (True, 1.0065)
        >>> check("C8", "x", float("nan"), "< 1", expected=False, reason="toy scale",
        ...       valid="finite", display=False)["as_declared"]
        False
    """
    if unknown:
        if "passed" in unknown:
            raise TypeError(
                "check() takes no passed= argument: the ledger computes passed itself "
                "from measured and threshold (write the condition in the threshold "
                "grammar, see gantoy.notebook.ledger.evaluate)"
            )
        raise TypeError(f"check() got unexpected keyword arguments {sorted(unknown)}")
    claim = _check_claim(claim)
    value = _measurement(measured)
    if valid is not None and not isinstance(valid, str):
        raise ValueError(f"valid must be a condition string or None; got {valid!r}")
    verdict = _judge(value, threshold, valid, expected, str(reason))
    if not isinstance(declared_after_run, (bool, np.bool_)):
        raise ValueError(f"declared_after_run must be True or False; got {declared_after_run!r}")
    if declared_after_run and expected:
        raise ValueError("declared_after_run=True marks a failure (or an edge) declared after a run; "
                         "give it with expected=False (or None)")
    row = {
        "claim": claim,
        "what": str(what),
        "measured": _encode(value),
        "threshold": threshold,
        "valid": valid,
        "expected": _declared(expected),
        "reason": str(reason),
        "declared_after_run": bool(declared_after_run),
        **verdict,
    }
    if display:
        _emit(Table([row], header=False))
    return row


def reevaluate(row: dict) -> dict:
    """The row with ``passed``, ``valid_ok`` and ``as_declared`` computed again.

    Judges the stored ``measured`` against the stored ``threshold`` and
    ``valid`` with the declared ``expected``, ignoring the stored booleans.
    Other keys (e.g. ``notebook``) are kept. The input is not changed.

    Raises:
      ValueError: a key is missing, or the row could not have come from
        :func:`check` (string value, threshold outside the grammar, a declared
        failure without ``reason`` or ``valid``).

    Example:
        >>> row = check("C7", "KL", float("inf"), "== inf", display=False)
        >>> forged = {**row, "threshold": "finite", "passed": True}
        >>> reevaluate(forged)["passed"], reevaluate(forged)["as_declared"]
        (False, False)
    """
    missing = [k for k in ("claim", "measured", "threshold", "expected") if k not in row]
    if missing:
        raise ValueError(f"ledger row lacks {missing}: {row!r}")
    _check_claim(row["claim"])
    verdict = _judge(
        _decode(row["measured"]),
        row["threshold"],
        row.get("valid"),
        row["expected"],
        str(row.get("reason", "")),
    )
    return {**row, **verdict}


# --- display ----------------------------------------------------------------------


def _digits(x: float, conds: list[tuple]) -> str:
    """The fewest significant digits (at least 4) that every condition judges as ``x``."""
    if not math.isfinite(x):
        return str(x)
    for d in range(4, 18):
        text = f"{x:.{d}g}"
        shown = float(text)
        if all(_holds(shown, c) == _holds(x, c) for c in conds):
            return text
    return repr(x)  # pragma: no cover - 17 significant digits give x back exactly


def format_value(value: Any, threshold: str | None = None, valid: str | None = None) -> str:
    """The measured value as the ledger shows it.

    Integers show exactly. A float shows with the fewest significant digits, at
    least 4, whose rounded value meets ``threshold`` and ``valid`` exactly as
    the full value does; a sequence shows element by element, each judged by
    its own condition. Without conditions, 4 significant digits. A value that
    is not numeric (rows from an older ledger) shows as it is.

    Examples:
        >>> format_value(0.0999996, "< 0.1"), format_value(0.0999996)
        ('0.0999996', '0.1')
        >>> format_value(1.00004, "in [0.8, 1.2]"), format_value(8), format_value("inf")
        ('1', '8', 'inf')
        >>> format_value([-0.7912, 1e-12], "< 0 ; > 0")
        '[-0.7912, 1e-12]'
    """
    try:
        v = _decode(value)
    except ValueError:
        return str(value)
    seq = v if isinstance(v, tuple) else (v,)
    per_element: list[list[tuple]] = [[] for _ in seq]
    for cond in (threshold, valid):
        if cond is None:
            continue
        try:
            conds = _conditions(_parse(cond), v, cond)
        except ValueError:
            continue
        for i, c in enumerate(conds):
            per_element[i].append(c)
    texts = [
        str(x) if isinstance(x, int) else _digits(x, cs) for x, cs in zip(seq, per_element)
    ]
    return "[" + ", ".join(texts) + "]" if isinstance(v, tuple) else texts[0]


def result_text(row: dict) -> str:
    """The row's result in words, from its (re-evaluated) booleans.

    ``PASS``; ``FAIL (not as declared)``; ``fail (declared): REASON`` (or
    ``fail (declared after its first run): REASON`` for a row declared only
    after a run failed it);
    ``PASS (not as declared: declared to fail: REASON)``; for a row at the
    edge (``expected=None``), ``pass (at the edge, declared): REASON`` or
    ``fail (at the edge, declared): REASON``; or, for a declared failure or
    edge whose value lies outside ``valid``, ``INVALID (not as declared:
    value outside valid VALID)``.

    Example:
        >>> result_text(check("C3", "modes", 1, ">= 6", expected=False, reason="toy scale",
        ...                   valid="in [0, 8]", display=False))
        'fail (declared): toy scale'
        >>> result_text(check("C16", "shock", 2, ">= 3", expected=False, reason="the critic lags",
        ...                   valid="in [0, 4]", declared_after_run=True, display=False))
        'fail (declared after its first run): the critic lags'
        >>> result_text(check("C20", "seeds covering", 6, ">= 5", expected=None, reason="2 on another CPU",
        ...                   valid="in [0, 8]", declared_after_run=True, display=False))
        'pass (at the edge, declared after a run): 2 on another CPU'
    """
    if row["expected"] is None:
        if not row["valid_ok"]:
            return f"INVALID (not as declared: value outside valid {row['valid']})"
        when = "at the edge, declared after a run" if row.get("declared_after_run") else "at the edge, declared"
        return f"{'pass' if row['passed'] else 'fail'} ({when}): {row['reason']}"
    if row["expected"]:
        text = "PASS" if row["passed"] else "FAIL (not as declared)"
        if row.get("valid") is not None and not row["valid_ok"]:
            text += f" (value outside valid {row['valid']})"
        return text
    if row["passed"]:
        return f"PASS (not as declared: declared to fail: {row['reason']})"
    if not row["valid_ok"]:
        return f"INVALID (not as declared: value outside valid {row['valid']})"
    when = "declared after its first run" if row.get("declared_after_run") else "declared"
    return f"fail ({when}): {row['reason']}"


def _condition_text(row: dict) -> str:
    if row.get("valid") is None:
        return row["threshold"]
    return f"{row['threshold']}  (valid: {row['valid']})"


_HEADERS = ("claim", "what was measured", "value", "threshold", "result")


class Table:
    """Ledger rows shown as one table; carries the rows for ``make demo``.

    Rendered in a notebook as HTML with the headers claim | what was measured
    | value | threshold | result, as aligned text elsewhere. Its output also
    holds the list of rows under :data:`MIME`, which
    :func:`gantoy.notebook.demo.read_ledger` reads back. The rows are judged again
    (:func:`reevaluate`) when the table is made.

    Example:
        >>> rows = [check("C7", "KL at theta = 1", float("inf"), "== inf", display=False),
        ...         check("C7", "|JS - log 2|", 2.2e-16, "< 1e-12", display=False)]
        >>> print(table(rows))
        claim  what was measured  value    threshold  result
        C7     KL at theta = 1    inf      == inf     PASS
        C7     |JS - log 2|       2.2e-16  < 1e-12    PASS
    """

    def __init__(self, rows: list[dict], *, header: bool = True):
        if isinstance(rows, dict):
            raise ValueError("table() takes a list of rows; got one row (wrap it in a list)")
        self.rows = [reevaluate(r) for r in rows]
        self.header = header

    def _cells(self, row: dict) -> list[str]:
        return [
            row["claim"],
            row["what"],
            format_value(row["measured"], row["threshold"], row.get("valid")),
            _condition_text(row),
            result_text(row),
        ]

    def __str__(self) -> str:
        body = [self._cells(r) for r in self.rows]
        if not self.header:
            return "\n".join(
                f"[ledger] {r['claim']}: {r['what']} = {c[2]}  (threshold {r['threshold']}"
                + (f", valid {r['valid']}" if r.get("valid") is not None else "")
                + f")  -> {c[4]}"
                for r, c in zip(self.rows, body)
            )
        grid = [list(_HEADERS)] + body
        widths = [max(len(line[i]) for line in grid) for i in range(len(_HEADERS) - 1)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(line, widths)) + "  " + line[-1]
            for line in grid
        )

    def _repr_html_(self) -> str:
        td = "<td style='padding:2px 8px;text-align:left'>{}</td>"
        lines = ["<table>"]
        if self.header:
            lines.append(
                "<thead><tr>"
                + "".join(f"<th style='padding:2px 8px;text-align:left'>{h}</th>" for h in _HEADERS)
                + "</tr></thead>"
            )
        lines.append("<tbody>")
        for row in self.rows:
            cells = [html.escape(c) for c in self._cells(row)]
            if row["as_declared"]:
                colour = "#1b7837" if row["expected"] is True else "#8c510a"
            else:
                colour = "#b2182b"
                cells[-1] = f"<b>{cells[-1]}</b>"
            lines.append(
                f"<tr style='color:{colour}'>" + "".join(td.format(c) for c in cells) + "</tr>"
            )
        lines.append("</tbody></table>")
        return "".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        payload: Any = self.rows if self.header else self.rows[0]
        return {"text/plain": str(self), "text/html": self._repr_html_(), MIME: payload}


def table(rows: list[dict]) -> Table:
    """One table of ledger rows (see :class:`Table`); a cell's last expression shows it."""
    return Table(rows)


def show(rows: list[dict]) -> None:
    """Emit ``rows`` as one ledger table: the notebook's ledger, in its last cell.

    The output carries the rows (as a list under :data:`MIME`), so each row
    recorded with ``check(..., display=False)`` is read back exactly once.
    Outside a notebook, prints the text table.
    """
    _emit(Table(rows))


def _emit(tab: Table) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(tab)
        return
    ipy_display(tab._repr_mimebundle_(), raw=True)
