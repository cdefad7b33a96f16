"""Steps that `mgz demo` runs after migrating: areas register theirs (users, data).

Each step must be idempotent: the demo command runs them on every start.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

DemoStep = Callable[[Flask], list[str]]
_STEPS: list[DemoStep] = []


def demo_step(step: DemoStep) -> DemoStep:
    """Register a demo step; it returns lines to print (e.g. demo credentials)."""
    if step not in _STEPS:
        _STEPS.append(step)
    return step


def run_demo_steps(app: Flask) -> list[str]:
    """Run every registered step and collect what they want printed."""
    lines: list[str] = []
    for step in _STEPS:
        lines.extend(step(app))
    return lines
