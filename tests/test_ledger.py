import json

import numpy as np
import pytest

from gantoy import ledger
from gantoy.demo import ledger_table, read_ledger


def test_threshold_comparisons():
    assert ledger.evaluate(1e-13, "< 1e-12")
    assert not ledger.evaluate(1e-11, "< 1e-12")
    assert ledger.evaluate(8, "== 8")
    assert ledger.evaluate(3, ">= 3") and not ledger.evaluate(3, "> 3")
    assert not ledger.evaluate(float("nan"), "< 1")
    assert ledger.evaluate(np.float32(2.0), "<= 2")


def test_bad_threshold_and_claim():
    with pytest.raises(ValueError, match="threshold"):
        ledger.evaluate(1.0, "small")
    with pytest.raises(ValueError, match="C1..C20"):
        ledger.check("C21", "x", 1.0, "< 2", display=False)
    with pytest.raises(ValueError, match="reason"):
        ledger.check("C3", "x", 1.0, "< 2", expected=False, display=False)


def test_declared_failure_is_as_declared():
    row = ledger.check("C3", "modes", 1, ">= 7", expected=False, reason="toy scale", display=False)
    assert row["passed"] is False and row["as_declared"] is True
    row = ledger.check("C3", "modes", 8, ">= 7", expected=False, reason="toy scale", display=False)
    assert row["passed"] is True and row["as_declared"] is False


def test_explicit_passed_and_json():
    row = ledger.check("C1", "orbit", "bounded", "radius within [0.9, 1.1]", passed=True, display=False)
    assert row["passed"]
    json.dumps(row)
    row = ledger.check("C7", "KL", np.inf, "== inf", display=False)
    assert row["passed"] and row["measured"] == "inf"


def test_rows_round_trip_through_notebook_outputs():
    row = ledger.check("C7", "JS", 0.69, "> 0.6", display=False)
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {ledger.MIME: row, "text/plain": "x"}}]}]}
    rows = read_ledger(_Obj(nb), "04_x")
    assert rows[0]["claim"] == "C7" and rows[0]["notebook"] == "04_x"
    text, records = ledger_table(rows)
    assert "TODO" in text and "C7" in text and records[0]["passed"] is True
    assert {"claim", "notebook", "measured", "threshold", "passed", "what"} <= set(records[0])


class _Obj(dict):
    @property
    def cells(self):
        return self["cells"]
