"""The claims ledger: grammar, computed verdicts, declared failures, display, round trips."""

import json
import math
import operator
import re

import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gantoy.notebook import ledger
from gantoy.notebook.demo import judge_rows, read_ledger

INF, NAN = math.inf, math.nan


def row(value, threshold, **kw):
    return ledger.check("C7", "x", value, threshold, display=False, **kw)


# --- the grammar, form by form -----------------------------------------------------


@pytest.mark.parametrize(
    "value, threshold, expected",
    [
        (1e-13, "< 1e-12", True),
        (1e-11, "< 1e-12", False),
        (1e-12, "< 1e-12", False),
        (1e-12, "<= 1e-12", True),
        (3, ">= 3", True),
        (3, "> 3", False),
        (-3, "> -3.5", True),
        (8, "== 8", True),
        (8.000001, "== 8", False),
        (0, "!= 0", False),
        (1e-300, "!= 0", True),
        (INF, "== inf", True),
        (INF, "< inf", False),
        (INF, "<= inf", True),
        (-INF, "== -inf", True),
        (-INF, "> -inf", False),
        (5, "< +inf", True),
        (0.8, "in [0.8, 1.2]", True),
        (1.2, "in [0.8, 1.2]", True),
        (1.2000001, "in [0.8, 1.2]", False),
        (-2, "in [-3, -1]", True),
        (INF, "in [0, inf]", True),
        (1e308, "finite", True),
        (INF, "finite", False),
        (-INF, "finite", False),
        (5, "> 0.1 and < 10", True),
        (10, "> 0.1 and < 10", False),
        (INF, "finite and >= 0", False),
        (0.5, "finite and in [0, 1] and != 0.5", False),
        (True, "== 1", True),
        (False, "< 0.5", True),
        (np.float32(2.0), "<= 2", True),
        (np.int64(7), "== 7", True),
        (jnp.float32(0.25), "< 0.5", True),
        (np.array(3.0), ">= 3", True),
        (0.5, "  <0.6  ", True),
        (2, "in[1,3]", True),
    ],
)
def test_scalar_conditions(value, threshold, expected):
    assert ledger.evaluate(value, threshold) is expected


@pytest.mark.parametrize(
    "value, threshold, expected",
    [
        ((-1, -2, -0.5), "all < 0", True),
        ((-1, 0, -0.5), "all < 0", False),
        ([0, 0, 2], "any > 1", True),
        ([0, 0, 1], "any > 1", False),
        ([25, 24, 3, 25, 0, 23, 1, 2], "at least 4 of 8 >= 23", True),
        ([25, 24, 3, 25, 0, 22, 1, 2], "at least 4 of 8 >= 23", False),
        ((-0.79, 0.95), "< 0 ; > 0", True),
        ((0.79, 0.95), "< 0 ; > 0", False),
        ((0.5, 3.0, INF), "in [0, 1] ; > 1 and < 10 ; == inf", True),
        (np.array([1.0, 2.0]), "all finite", True),
        (jnp.array([1.0, jnp.inf]), "all finite", False),
        ([True, False], "any == 1", True),
    ],
)
def test_sequence_forms(value, threshold, expected):
    assert ledger.evaluate(value, threshold) is expected


@pytest.mark.parametrize(
    "threshold",
    ["< 1", "> 1", "<= 1", ">= 1", "== 1", "!= 1", "in [-inf, inf]", "finite", "> -inf",
     "!= 0 and != 1"],
)
def test_nan_satisfies_no_condition(threshold):
    assert not ledger.evaluate(NAN, threshold)
    assert not ledger.evaluate([NAN, NAN], "all " + threshold)
    assert not ledger.evaluate([NAN, NAN], "any " + threshold)
    assert not ledger.evaluate([NAN, NAN], "at least 1 of 2 " + threshold)
    assert not ledger.evaluate([NAN, 0.0], f"{threshold} ; in [-1, 1]")


@pytest.mark.parametrize(
    "value, threshold, match",
    [
        (1.0, "all < 2", "for a sequence"),
        (1.0, "< 1 ; < 2", "for a sequence"),
        (1.0, "at least 1 of 1 < 2", "for a sequence"),
        ([1.0, 2.0], "< 3", "sequence of 2 numbers.*for one number"),
        ([1.0, 2.0], "< 3 ; < 3 ; < 3", "3 element-wise parts.*2 numbers"),
        ([1.0, 2.0, 3.0], "at least 2 of 4 > 0", "N = 4.*3 numbers"),
    ],
)
def test_shape_mismatches_name_both(value, threshold, match):
    with pytest.raises(ValueError, match=match):
        ledger.evaluate(value, threshold)


@pytest.mark.parametrize(
    "threshold",
    ["small", "", "< ", "<< 3", "=< 3", "3 >", "< 1e", "< nan", "< 0x10", "in [1, 2",
     "in [2, 1]", "in [1; 2]", "all", "all and", "> 1 or < 0", "> 1 and", "finite and",
     "at least 0 of 3 > 1", "at least 4 of 3 > 1", "at least 2 of > 1", "any all > 1",
     "< 1 ; all > 1", "radius within [0.9, 1.1]", "Finite"],
)
def test_bad_thresholds_quote_the_text_and_show_the_grammar(threshold):
    with pytest.raises(ValueError) as info:
        ledger.evaluate([1.0, 2.0, 3.0] if ";" in threshold else 1.0, threshold)
    message = str(info.value)
    assert repr(threshold) in message and "threshold grammar" in message


def test_threshold_must_be_a_string():
    with pytest.raises(ValueError, match="must be a string"):
        ledger.evaluate(1.0, 3)


@pytest.mark.parametrize(
    "measured, match",
    [
        ("bounded", "string is not a measurement"),
        ("0.44 ; 0.11", "string is not a measurement"),
        (["1", 2], "string is not a measurement"),
        ([[1, 2], [3, 4]], "real number"),
        (np.ones((2, 2)), "shape \\(2, 2\\)"),
        ([], "empty"),
        (1 + 2j, "real number"),
        (None, "dtype object"),
        (np.array(["a"]), "dtype"),
    ],
)
def test_measured_must_be_numbers(measured, match):
    with pytest.raises(ValueError, match=match):
        ledger.evaluate(measured, "< 1")


# --- check: computed verdicts, no passed= ------------------------------------------


def test_passed_argument_is_rejected_with_a_reason():
    with pytest.raises(TypeError, match="computes passed itself"):
        ledger.check("C1", "orbit", 1.0, "< 2", passed=True, display=False)
    with pytest.raises(TypeError, match="computes passed itself"):
        ledger.check("C1", "orbit", 1.0, "< 2", passed=False, display=False)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ledger.check("C1", "orbit", 1.0, "< 2", pased=True, display=False)
    with pytest.raises(TypeError):
        ledger.check("C1", "orbit", 1.0, "< 2", True)


def test_bad_claim_id():
    for claim in ("C0", "C21", "c7", "7", "C07"):
        with pytest.raises(ValueError, match="C1..C20"):
            ledger.check(claim, "x", 1.0, "< 2", display=False)


def test_row_keys_and_verdicts():
    r = row(0.5, "< 1")
    assert list(r) == ["claim", "what", "measured", "threshold", "valid", "expected", "reason",
                       "declared_after_run", "passed", "valid_ok", "as_declared"]
    assert (r["passed"], r["valid_ok"], r["as_declared"]) == (True, True, True)
    r = row(2.0, "< 1")
    assert (r["passed"], r["as_declared"]) == (False, False)


def test_declared_after_run_is_labelled_and_only_for_a_declared_failure():
    r = row(2.0, ">= 3", expected=False, reason="the critic lags", valid="in [0, 4]", declared_after_run=True)
    assert r["declared_after_run"] and r["as_declared"]
    assert ledger.result_text(r) == "fail (declared after its first run): the critic lags"
    assert ledger.result_text(row(2.0, ">= 3", expected=False, reason="toy scale", valid="in [0, 4]")) == "fail (declared): toy scale"
    assert ledger.result_text({**r, "measured": 3.0, **ledger.reevaluate({**r, "measured": 3.0})}).startswith("PASS (not as declared")
    with pytest.raises(ValueError, match="expected=False"):
        row(2.0, ">= 3", declared_after_run=True)
    with pytest.raises(ValueError, match="True or False"):
        row(2.0, ">= 3", expected=False, reason="x", valid="finite", declared_after_run="yes")


@pytest.mark.parametrize(
    "value, passed, valid_ok, as_declared, text",
    [
        (6, True, True, True, "pass (at the edge, declared): 2 of 8 on another CPU"),
        (2, False, True, True, "fail (at the edge, declared): 2 of 8 on another CPU"),
        (9, True, False, False, "INVALID (not as declared: value outside valid in [0, 8])"),
        (NAN, False, False, False, "INVALID (not as declared: value outside valid in [0, 8])"),
    ],
)
def test_row_at_the_edge_is_as_declared_either_way_inside_valid(value, passed, valid_ok, as_declared, text):
    r = row(value, ">= 5", expected=None, reason="2 of 8 on another CPU", valid="in [0, 8]")
    assert r["expected"] is None
    assert (r["passed"], r["valid_ok"], r["as_declared"]) == (passed, valid_ok, as_declared)
    assert ledger.result_text(r) == text
    back = json.loads(json.dumps(r, allow_nan=False))
    assert back["expected"] is None and ledger.reevaluate(back) == r


def test_row_at_the_edge_needs_reason_and_valid_and_says_when_declared():
    with pytest.raises(ValueError, match=r"expected=None \(at the edge\) needs a reason"):
        row(6, ">= 5", expected=None, valid="in [0, 8]")
    with pytest.raises(ValueError, match="valid condition"):
        row(6, ">= 5", expected=None, reason="r")
    r = row(6, ">= 5", expected=None, reason="r", valid="in [0, 8]", declared_after_run=True)
    assert ledger.result_text(r) == "pass (at the edge, declared after a run): r"
    html = ledger.table([r])._repr_html_()
    assert "#8c510a" in html and "#1b7837" not in html  # shown like a declared failure, never as a pass


def test_declared_failure_needs_reason_and_valid():
    with pytest.raises(ValueError, match="reason"):
        row(1.0, ">= 7", expected=False, valid="finite")
    with pytest.raises(ValueError, match="valid condition"):
        row(1.0, ">= 7", expected=False, reason="toy scale")
    with pytest.raises(ValueError, match="threshold grammar"):
        row(1.0, ">= 7", expected=False, reason="toy scale", valid="physical")


@pytest.mark.parametrize(
    "value, passed, valid_ok, as_declared",
    [
        (2, False, True, True),      # the declared failure
        (8, True, True, False),      # it passed after all
        (NAN, False, False, False),  # a broken measurement is not the declared failure
        (-1, False, False, False),   # outside the physical range
        (INF, True, False, False),   # inf >= 7, but outside the range
    ],
)
def test_declared_failure_counts_only_inside_its_valid_range(value, passed, valid_ok, as_declared):
    r = row(value, ">= 7", expected=False, reason="drops modes at toy scale", valid="in [0, 8]")
    assert (r["passed"], r["valid_ok"], r["as_declared"]) == (passed, valid_ok, as_declared)


def test_valid_on_an_expected_row_is_reported_but_the_threshold_decides():
    r = row(INF, "> 1", valid="finite")
    assert (r["passed"], r["valid_ok"], r["as_declared"]) == (True, False, True)
    assert "outside valid finite" in ledger.result_text(r)


def test_declared_failure_with_sequence_valid():
    r = row([3, 2, 25], "all >= 23", expected=False, reason="toy scale", valid="all in [0, 25]")
    assert r["as_declared"] and not r["passed"] and r["valid_ok"]
    r = row([3, 2, 26], "all >= 23", expected=False, reason="toy scale", valid="all in [0, 25]")
    assert not r["as_declared"] and not r["valid_ok"]


def test_rows_store_full_precision_and_json():
    assert row(0.1 + 0.2, "< 1")["measured"] == 0.30000000000000004
    f32 = np.float32(1) / np.float32(3)
    assert row(f32, "< 1")["measured"] == float(f32)  # the float32 value, exactly
    assert row(jnp.float32(0.1), "< 1")["measured"] == float(np.float32(0.1))
    assert row(np.int64(2**40), "> 0")["measured"] == 2**40
    assert row(True, "== 1")["measured"] == 1
    r = row(INF, "== inf")
    assert r["measured"] == "inf" and r["passed"]
    r = row((NAN, -INF, 0.25), "any == 0.25")
    assert r["measured"] == ["nan", "-inf", 0.25] and r["passed"]
    r = row(jnp.array([1.5, 2.5]), "all > 1")
    assert r["measured"] == [1.5, 2.5]
    json.dumps(r, allow_nan=False)


# --- reevaluate ---------------------------------------------------------------------


def test_reevaluate_recomputes_from_the_stored_value():
    r = row(2.0, "< 1")
    assert ledger.reevaluate(r) == r
    forged = {**r, "passed": True, "as_declared": True}
    fresh = ledger.reevaluate(forged)
    assert fresh["passed"] is False and fresh["as_declared"] is False
    assert forged["passed"] is True  # the input is left alone
    assert ledger.reevaluate({**r, "threshold": "> 1"})["as_declared"] is True
    assert ledger.reevaluate({**r, "notebook": "04"})["notebook"] == "04"


def test_reevaluate_through_json_with_non_finite_values():
    rows = [row(INF, "== inf"), row([NAN, 1.0], "any == 1"),
            row(NAN, "> 0", expected=False, reason="r", valid="finite")]
    for r in rows:
        back = json.loads(json.dumps(r, allow_nan=False))
        assert ledger.reevaluate(back) == r
    assert rows[2]["as_declared"] is False


def test_reevaluate_rejects_rows_check_could_not_have_made():
    old = {"claim": "C1", "what": "orbit", "measured": "bounded", "threshold": "radius in [0.9, 1.1]",
           "passed": True, "expected": True, "reason": "", "as_declared": True}
    with pytest.raises(ValueError, match="string is not a measurement"):
        ledger.reevaluate(old)
    declared = row(1.0, "> 2", expected=False, reason="r", valid="finite")
    with pytest.raises(ValueError, match="valid condition"):
        ledger.reevaluate({**declared, "valid": None})
    with pytest.raises(ValueError, match="lacks"):
        ledger.reevaluate({"claim": "C1", "measured": 1.0})
    with pytest.raises(ValueError, match="True, False or None"):
        ledger.reevaluate({**declared, "expected": "no"})


# --- the value shown is the value judged -------------------------------------------


@pytest.mark.parametrize(
    "value, threshold, shown",
    [
        (0.09996, "< 0.1", "0.09996"),
        (0.0999996, "< 0.1", "0.0999996"),
        (0.1, "< 0.1", "0.1"),
        (0.10000001, "<= 0.1", "0.10000001"),
        (1 / 3, "< 1", "0.3333"),
        (2 / 3, "> 0.6", "0.6667"),
        (0.666664, "> 0.66667", "0.66666"),  # 4 digits would show 0.6667 > 0.66667
        (1e-12 * (1 - 1e-9), "< 1e-12", "9.99999999e-13"),
        (35352984.52361548, "> 1e3", "3.535e+07"),
        (1.2000004, "in [0.8, 1.2]", "1.2000004"),
        (100, "== 100", "100"),
        (INF, "== inf", "inf"),
        (NAN, "< 1", "nan"),
        ([-0.79123, 1e-13], "< 0 ; > 0", "[-0.7912, 1e-13]"),
        ([22.99999, 25], "at least 1 of 2 >= 23", "[22.99999, 25]"),
    ],
)
def test_displayed_value_judges_as_the_full_value(value, threshold, shown):
    assert ledger.format_value(value, threshold) == shown
    back = json.loads(shown) if shown.startswith("[") else float(shown)
    assert ledger.evaluate(back, threshold) == ledger.evaluate(value, threshold)


def test_displayed_value_respects_valid_too():
    # 4 digits would show 1 (inside valid) for a value just outside it.
    assert ledger.format_value(1.00004, "> 2", "in [0, 1]") == "1.00004"
    assert ledger.format_value(1.00004, "> 2") == "1"


def test_format_value_without_conditions_and_old_values():
    assert ledger.format_value(0.123456) == "0.1235"
    assert ledger.format_value("inf") == "inf"
    assert ledger.format_value("ratio 100.5") == "ratio 100.5"  # an older ledger's text
    assert ledger.format_value(2.5, "free text") == "2.5"


_OP = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@given(x=_FLOAT, t=st.floats(allow_nan=False), op=_OP)
def test_comparisons_match_python(x, t, op):
    python = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}[op]
    expected = (not math.isnan(x)) and python(x, t)
    assert ledger.evaluate(x, f"{op} {t!r}") is expected


@given(x=_FLOAT, a=st.floats(allow_nan=False), b=st.floats(allow_nan=False))
def test_ranges_match_python(x, a, b):
    lo, hi = min(a, b), max(a, b)
    assert ledger.evaluate(x, f"in [{lo!r}, {hi!r}]") is (lo <= x <= hi)
    assert ledger.evaluate(x, f"finite and >= {lo!r} and <= {hi!r}") is (math.isfinite(x) and lo <= x <= hi)


@given(xs=st.lists(_FLOAT, min_size=1, max_size=6), t=st.floats(allow_nan=False, allow_infinity=False),
       k=st.integers(1, 6))
def test_quantifiers_match_python(xs, t, k):
    hits = [x < t for x in xs]  # NaN < t is False in Python as in the ledger
    assert ledger.evaluate(xs, f"all < {t!r}") is all(hits)
    assert ledger.evaluate(xs, f"any < {t!r}") is any(hits)
    k = min(k, len(xs))
    assert ledger.evaluate(xs, f"at least {k} of {len(xs)} < {t!r}") is (sum(hits) >= k)
    if len(xs) == 1:  # one element has no element-wise form
        return
    each = " ; ".join(f"< {t!r}" if i % 2 == 0 else f">= {t!r}" for i in range(len(xs)))
    want = all((x < t) if i % 2 == 0 else (x >= t) for i, x in enumerate(xs))
    assert ledger.evaluate(xs, each) is want


_THRESHOLD = st.one_of(
    st.builds(lambda op, t: f"{op} {t!r}", _OP, st.floats(allow_nan=False)),
    st.builds(lambda a, b: f"in [{min(a, b)!r}, {max(a, b)!r}]",
              st.floats(allow_nan=False), st.floats(allow_nan=False)),
)


@given(x=_FLOAT, threshold=_THRESHOLD, near=st.booleans())
def test_displayed_row_value_judges_as_the_full_value(x, threshold, near):
    if near:  # put x within a hair of the threshold's number, where rounding bites
        t = float(re.findall(r"-?[\d.]+(?:e[-+]\d+)?|-?inf", threshold)[0])
        assume(math.isfinite(t))
        x = t * (1 + 1e-9) if x > 0 else t * (1 - 1e-9)
    r = row(x, threshold)
    shown = ledger.format_value(r["measured"], r["threshold"])
    assert ledger.evaluate(float(shown), threshold) is r["passed"]
    if math.isfinite(x):
        # shown is x to d >= 4 significant digits, with d as small as it can be
        d = next(d for d in range(4, 18) if f"{x:.{d}g}" == shown)
        if d > 4:
            assert ledger.evaluate(float(f"{x:.{d - 1}g}"), threshold) is not r["passed"]


# --- tables and round trips through notebook outputs -------------------------------


def _rows():
    return [
        ledger.check("C7", "KL at theta = 1", INF, "== inf", display=False),
        ledger.check("C8", "median slope", 0.09996, "< 0.1", display=False),
        ledger.check("C3", "modes covered, -log D", 2, ">= 6", expected=False,
                     reason="drops modes at toy scale", valid="in [0, 8]", display=False),
        ledger.check("C9", "accuracy", 0.5, ">= 0.75", display=False),
    ]


def test_table_html_has_headers_and_every_result():
    html = ledger.table(_rows())._repr_html_()
    headers = re.findall(r"<th style[^>]*>(.*?)</th>", html)
    assert headers == ["claim", "what was measured", "value", "threshold", "result"]
    body = re.findall(r"<tr style='color:[^']*'>(.*?)</tr>", html)
    assert len(body) == 4
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", b) for b in body]
    assert cells[1] == ["C8", "median slope", "0.09996", "&lt; 0.1", "PASS"]
    assert cells[2][3] == "&gt;= 6  (valid: in [0, 8])"
    assert cells[2][4] == "fail (declared): drops modes at toy scale"
    assert cells[3][4] == "<b>FAIL (not as declared)</b>"


def test_result_texts():
    def text(value, **kw):
        return ledger.result_text(row(value, ">= 6", **kw))

    declared = dict(expected=False, reason="toy scale", valid="in [0, 8]")
    assert text(7) == "PASS"
    assert text(5) == "FAIL (not as declared)"
    assert text(5, **declared) == "fail (declared): toy scale"
    assert text(7, **declared).startswith("PASS (not as declared")
    assert text(NAN, **declared).startswith("INVALID (not as declared: value outside valid in [0, 8]")


def test_table_text_fallback_and_show_outside_a_notebook(capsys):
    text = str(ledger.table(_rows()))
    lines = text.splitlines()
    assert lines[0].split() == ["claim", "what", "was", "measured", "value", "threshold", "result"]
    assert "0.09996" in lines[2] and "fail (declared): drops modes" in lines[3]
    ledger.show(_rows())
    assert capsys.readouterr().out.strip() == text
    ledger.check("C8", "median slope", 0.09996, "< 0.1")
    assert capsys.readouterr().out.startswith("[ledger] C8: median slope = 0.09996")


def test_table_judges_rows_again_and_takes_a_list():
    forged = {**_rows()[3], "passed": True, "as_declared": True}
    assert ledger.table([forged]).rows[0]["as_declared"] is False
    with pytest.raises(ValueError, match="list of rows"):
        ledger.table(_rows()[0])


def test_rows_round_trip_through_notebook_outputs_once_each():
    rows = _rows()
    single = ledger.Table([rows[0]], header=False)._repr_mimebundle_()
    whole = ledger.table(rows[1:])._repr_mimebundle_()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data=single),
                    nbformat.v4.new_output("execute_result", data=whole, execution_count=1)]
    nb.cells = [cell]
    back = nbformat.reads(nbformat.writes(nb), as_version=4)
    nbformat.validate(back)
    read = read_ledger(back, "04_x")
    assert [{k: v for k, v in r.items() if k != "notebook"} for r in read] == rows
    assert [r["as_declared"] for r in judge_rows(read)] == [True, True, True, False]
