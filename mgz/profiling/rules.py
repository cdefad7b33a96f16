"""The profile-type suggestion of the 4-phase model (Profillagen), computed server-side.

Our reading of the rules (domain.md section 1; the names are verified, the
definitions are ⚠ taken from the BA Arbeitshilfe 4PM and not checked against the
original text, and BA IT no longer assigns Profillagen while the method stays):

* A key factor (Schlüsselgröße) "has a need" when it is rated ``some`` or ``strong``.
  The four key factors are ``qualification``, ``capability`` (Leistungsfähigkeit,
  health included), ``motivation`` and ``framework_conditions`` (Rahmenbedingungen).
  The sub-ratings of the framework conditions (childcare, housing, ...) belong to
  that one key factor and do not count as further needs of their own.
* **Complex** profiles (EP, SP, UP): a *main need* rated ``strong`` in qualification,
  capability or framework conditions, plus needs in at least two further key
  factors (so at least three of the four factors have a need; motivation may be one
  of the further ones). The main need decides the type: qualification → EP
  (Entwicklungsprofil), capability → SP (Stabilisierungsprofil), framework
  conditions → UP (Unterstützungsprofil).
  If several of these three are rated ``strong``, the adviser may name the main
  need (``main_need``); otherwise we take capability before framework conditions
  before qualification, because stabilising health and living conditions usually
  comes before qualifying (our choice, ⚠ not from the BA text). The domain note
  "integration > 12 months" for EP is a forecast the adviser makes, not a rule we
  can compute; it is left to the adviser's confirmation.
* **FP** (Förderprofil): any need in qualification, capability or framework
  conditions (with or without motivation) that does not make a complex profile,
  including three or more needs none of which is ``strong``.
* **AP** (Aktivierungsprofil): a need in motivation only.
* **MP** (Marktprofil): no need in any key factor.

The suggestion is a proposal: the adviser confirms it or records another type with
a reason, and both are stored.
"""

from __future__ import annotations

from collections.abc import Mapping

KEY_FACTORS = ("qualification", "capability", "motivation", "framework_conditions")
MAIN_NEED_TYPES = {
    "qualification": "EP",
    "capability": "SP",
    "framework_conditions": "UP",
}
# Tie-break when several candidate main needs are rated strong (see module docstring).
MAIN_NEED_PRIORITY = ("capability", "framework_conditions", "qualification")
RATINGS = ("none", "some", "strong")


def has_need(rating: str | None) -> bool:
    """Whether a rating is a need (``some`` or ``strong``)."""
    return rating in ("some", "strong")


def main_need_candidates(needs: Mapping[str, str]) -> list[str]:
    """Key factors that may be the main need of a complex profile, in priority order."""
    return [f for f in MAIN_NEED_PRIORITY if needs.get(f) == "strong"]


def suggest_profile_type(needs: Mapping[str, str], main_need: str | None = None) -> str:
    """The suggested Profillage for ``needs`` (key factor -> none/some/strong).

    ``main_need`` picks the main need among several strong ones; a factor that is not
    rated strong cannot be the main need and is ignored.
    """
    with_need = [f for f in KEY_FACTORS if has_need(needs.get(f))]
    if not with_need:
        return "MP"
    if with_need == ["motivation"]:
        return "AP"
    candidates = main_need_candidates(needs)
    if candidates and len(with_need) >= 3:
        chosen = main_need if main_need in candidates else candidates[0]
        return MAIN_NEED_TYPES[chosen]
    return "FP"
