"""Steps that `mgz demo` runs after migrating: areas register theirs (users, data).

Each step must be idempotent: the demo command runs them on every start. Steps run
by ``order`` (then registration order): reference data and users before demo data
that refers to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

from flask import Flask

DemoStep = Callable[[Flask], list[str]]
_STEPS: list[tuple[int, int, DemoStep]] = []

# Conventional orders.
ORDER_SETUP = 10  # users, reference data
ORDER_DATA = 50  # synthetic records that need the set-up


@overload
def demo_step(step: DemoStep) -> DemoStep: ...
@overload
def demo_step(*, order: int = ORDER_SETUP) -> Callable[[DemoStep], DemoStep]: ...


def demo_step(
    step: DemoStep | None = None, *, order: int = ORDER_SETUP
) -> DemoStep | Callable[[DemoStep], DemoStep]:
    """Register a demo step; it returns lines to print (e.g. demo credentials)."""

    def register(func: DemoStep) -> DemoStep:
        if all(existing is not func for _, _, existing in _STEPS):
            _STEPS.append((order, len(_STEPS), func))
        return func

    return register(step) if step is not None else register


def run_demo_steps(app: Flask, *, below: int | None = None) -> list[str]:
    """Run the registered steps in order (only those ordered below ``below``, if given)."""
    lines: list[str] = []
    for order, _index, step in sorted(_STEPS, key=lambda item: item[:2]):
        if below is None or order < below:
            lines.extend(step(app))
    return lines
