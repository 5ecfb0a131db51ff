"""docs/ARCHITECTURE.md lists every module, and only modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("gazefusion", "metrics", "study", "analysis")


def test_every_module_is_listed_and_every_listed_module_exists():
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    listed = set(re.findall(r"`((?:gazefusion|metrics|study|analysis)/[\w/]+\.py)`", doc))
    modules = {
        p.relative_to(REPO).as_posix()
        for pkg in PACKAGES
        for p in (REPO / pkg).rglob("*.py")
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }
    assert sorted(modules - listed) == [], "modules missing from docs/ARCHITECTURE.md"
    assert sorted(listed - modules) == [], "docs/ARCHITECTURE.md names modules that do not exist"
