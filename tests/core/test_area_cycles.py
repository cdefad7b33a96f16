"""No two top-level areas of mgz import each other, not even round a longer loop.

import-linter's contracts (setup.cfg) enforce this at lint time; this test asks grimp
(the graph library import-linter is built on) directly, so the rule holds even if a
contract is loosened by mistake.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def area_dependencies(package: str) -> dict[str, set[str]]:
    """For each top-level subpackage or module of ``package``: the siblings it imports."""
    graph = grimp.build_graph(package)
    areas = sorted(graph.find_children(package))
    return {
        area: {
            other
            for other in areas
            if other != area
            and graph.direct_import_exists(importer=area, imported=other, as_packages=True)
        }
        for area in areas
    }


def cycles(dependencies: dict[str, set[str]]) -> list[list[str]]:
    """Groups of areas that import each other (strongly connected, more than one area)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(dependencies.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(dependencies):
        if node not in index:
            visit(node)
    return found


def test_no_cycle_between_the_areas_of_mgz():
    dependencies = area_dependencies("mgz")
    assert {"mgz.audit", "mgz.auth", "mgz.clients", "mgz.consultations"} <= set(dependencies)
    assert "mgz.audit" in dependencies["mgz.auth"]  # the graph really has edges
    assert cycles(dependencies) == []


@pytest.fixture
def looping_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A throwaway package whose areas a -> b -> c -> a form a loop; d is outside it."""
    root = tmp_path / "looping_probe"
    for area, imports in {"a": "b", "b": "c", "c": "a", "d": "a"}.items():
        (root / area).mkdir(parents=True)
        (root / area / "__init__.py").write_text("")
        (root / area / "service.py").write_text(f"from looping_probe.{imports} import service\n")
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "looping_probe"


def test_a_loop_round_three_areas_is_found(looping_package):
    found = cycles(area_dependencies(looping_package))
    assert found == [["looping_probe.a", "looping_probe.b", "looping_probe.c"]]
