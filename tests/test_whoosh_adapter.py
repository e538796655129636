"""tracker.index.whoosh_adapter reaches into Whoosh's private internals; it
says which releases it was tested with, and this fails outside them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.index import whoosh_adapter

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def test_the_installed_whoosh_is_a_tested_release():
    version = whoosh_adapter.installed_whoosh()
    low, high = whoosh_adapter.TESTED_WHOOSH
    assert whoosh_adapter.is_tested(version), (
        f"whoosh-reloaded {_dotted(version)} is installed, but tracker/index/whoosh_adapter.py was tested "
        f"with >={_dotted(low)},<{_dotted(high)} only: it overrides and reads Whoosh's private members, which "
        f"a new release may change. Run tests/test_codec.py, test_phrases.py and test_ranking.py with it "
        f"and check the adapter against its changes; then widen TESTED_WHOOSH and pyproject.toml together.")


def test_pyproject_pins_the_tested_range():
    low, high = whoosh_adapter.TESTED_WHOOSH
    pins = re.findall(r'"whoosh-reloaded([^"]*)"', PYPROJECT.read_text(encoding="utf-8"))
    assert pins == [f">={_dotted(low)},<{_dotted(high)}"]


@pytest.mark.parametrize("version, tested", [((2, 7, 4), False), ((2, 7, 5), True), ((2, 7, 12), True),
                                             ((2, 8, 0), False), ((3, 0), False)])
def test_the_range_includes_its_lower_end_only(version, tested):
    assert whoosh_adapter.is_tested(version) is tested
