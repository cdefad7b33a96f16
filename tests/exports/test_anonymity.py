"""k-anonymity search and l-diversity: properties over random histograms, worked examples.

The properties are checked against a recount written here, independently of the module:
the test applies the declared level functions itself, counts the classes itself and
enumerates the whole lattice itself (brute force over small lattices).
"""

import itertools
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgz.exports.anonymity import (
    NotAnonymisableError,
    anonymise,
    generalise_sensitive,
    l_diversity,
)
from mgz.exports.hierarchies import (
    age_hierarchy,
    declared_hierarchies,
    flat_hierarchy,
    municipality_hierarchy,
    year_moved_in_hierarchy,
)

# Made-up codes; the AGS are real municipality codes (public), grouped as in the list.
GROUPS = {
    "03459007": "034595401",
    "03459025": "034595401",
    "03459024": "03459024",
    "03459014": "03459014",
    "unknown": "unknown",
}
AGES = st.integers(0, 80)
GENDERS = st.sampled_from(["female", "male", "diverse"])
CITIZENSHIP = st.sampled_from(["eu", "third_country", "stateless"])
RESIDENCE = st.sampled_from(["protection_open", "protection_recognised", "eu"])
MUNICIPALITIES = st.sampled_from(sorted(GROUPS))
YEARS = st.integers(2014, 2024)
COUNTS = st.integers(1, 9)
KS = st.integers(2, 7)
SHARES = st.sampled_from([0, 0.01, 0.05, 0.1, 0.3, Fraction(1, 4)])

full_keys = st.tuples(AGES, GENDERS, CITIZENSHIP, RESIDENCE, MUNICIPALITIES, YEARS)
full_histograms = st.dictionaries(full_keys, COUNTS, min_size=1, max_size=40)

# A smaller lattice (5 * 2 * 4 * 3 = 120 nodes) for the brute-force comparisons.
SMALL = (
    age_hierarchy(),
    flat_hierarchy("gender"),
    municipality_hierarchy(GROUPS),
    year_moved_in_hierarchy(),
)
small_keys = st.tuples(AGES, GENDERS, MUNICIPALITIES, YEARS)
small_histograms = st.dictionaries(small_keys, COUNTS, min_size=1, max_size=30)


def recount(histogram, hierarchies, levels):
    """Classes at ``levels``, counted here with the declared level functions only."""
    classes = Counter()
    for key, count in histogram.items():
        general = tuple(
            h.levels[lv](value) for h, lv, value in zip(hierarchies, levels, key, strict=True)
        )
        classes[general] += count
    return classes


def satisfies(histogram, hierarchies, levels, k, share):
    classes = recount(histogram, hierarchies, levels)
    suppressed = sum(n for n in classes.values() if n < k)
    return suppressed <= Fraction(str(share)) * sum(histogram.values())


def loss(hierarchies, levels):
    return sum(Fraction(lv, len(h.levels) - 1) for h, lv in zip(hierarchies, levels, strict=True))


def refused_for_too_few_rows(histogram, hierarchies, k, share):
    """Fewer than k rows in all: even the top node fails; the search must refuse."""
    if sum(histogram.values()) >= k:
        return False
    with pytest.raises(NotAnonymisableError):
        anonymise(histogram, hierarchies, k, share)
    with pytest.raises(NotAnonymisableError):
        anonymise(histogram, hierarchies, k, share, prune=False)
    return True


def all_nodes(hierarchies):
    return itertools.product(*(range(len(h.levels)) for h in hierarchies))


@settings(max_examples=60, deadline=None)
@given(full_histograms, KS, SHARES)
def test_release_is_k_anonymous_and_within_the_suppression_share(histogram, k, share):
    hierarchies = declared_hierarchies(GROUPS)
    if refused_for_too_few_rows(histogram, hierarchies, k, share):
        return
    result = anonymise(histogram, hierarchies, k, share)
    classes = recount(histogram, hierarchies, result.levels)
    released = {c: n for c, n in classes.items() if n >= k}
    total = sum(histogram.values())
    assert result.histogram == released
    assert all(n >= k for n in result.histogram.values())
    assert result.suppressed_rows == total - sum(released.values())
    assert result.suppressed_rows <= Fraction(str(share)) * total
    assert result.total_rows == total
    assert result.smallest_class == min(released.values(), default=None)


@settings(max_examples=60, deadline=None)
@given(small_histograms, KS, SHARES)
def test_no_satisfying_node_loses_less(histogram, k, share):
    if refused_for_too_few_rows(histogram, SMALL, k, share):
        return
    result = anonymise(histogram, SMALL, k, share)
    best = min(
        loss(SMALL, node)
        for node in all_nodes(SMALL)
        if satisfies(histogram, SMALL, node, k, share)
    )
    assert satisfies(histogram, SMALL, result.levels, k, share)
    assert loss(SMALL, result.levels) == best
    assert result.loss == best / len(SMALL)


@settings(max_examples=60, deadline=None)
@given(small_histograms, KS, SHARES)
def test_pruning_never_changes_the_answer(histogram, k, share):
    if refused_for_too_few_rows(histogram, SMALL, k, share):
        return
    assert anonymise(histogram, SMALL, k, share) == anonymise(
        histogram, SMALL, k, share, prune=False
    )


@pytest.mark.parametrize("k", [1, 0, -5, True, 2.0, "5", None])
def test_k_below_two_or_not_an_integer_is_refused(k):
    with pytest.raises(ValueError, match="k muss"):
        anonymise({(30, "male"): 10}, SMALL[:2], k)


@pytest.mark.parametrize("share", [1, 1.0, -0.01, 2, "0.05", True])
def test_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="Unterdrückungsanteil"):
        anonymise({(30, "male"): 10}, SMALL[:2], 5, share)


@pytest.mark.parametrize(
    "histogram",
    [{(30,): 10}, {(30, "male", "x"): 10}, {(30, "male"): -1}, {(30, "male"): 1.5}, {30: 2}],
)
def test_malformed_histogram_is_refused(histogram):
    with pytest.raises(ValueError, match="Schlüssel|Anzahl"):
        anonymise(histogram, SMALL[:2], 5)


def test_worked_example_picks_the_five_year_band():
    histogram = {(21, "male"): 3, (23, "male"): 3, (22, "female"): 5, (40, "female"): 1}
    # 12 rows, 10 % -> one row may go: (0, 0) and (0, 1) lose 7 rows, (1, 0) only the 40-year-old.
    result = anonymise(histogram, SMALL[:2], k=5, max_suppression=0.1)
    assert result.levels == (1, 0)
    assert result.histogram == {("20-24", "male"): 6, ("20-24", "female"): 5}
    assert (result.suppressed_rows, result.suppressed_classes) == (1, 1)
    assert result.smallest_class == 5
    assert result.loss == Fraction(1, 8)


def test_share_is_exact_decimal_not_binary_float():
    # 0.29 * 100 is 28.999999999999996 in floats; 29 suppressed rows are within 29 %.
    result = anonymise({("a",): 71, ("b",): 29}, [flat_hierarchy("gender")], 30, 0.29)
    assert result.levels == (0,)
    assert result.suppressed_rows == 29


def test_too_few_rows_and_no_budget_releases_nothing():
    with pytest.raises(NotAnonymisableError, match="nichts freigegeben"):
        anonymise({(30, "male"): 2, (50, "female"): 2}, SMALL[:2], k=5, max_suppression=0)


def test_empty_histogram_releases_no_class():
    result = anonymise({}, SMALL[:2], k=5)
    assert result.histogram == {}
    assert result.smallest_class is None
    assert result.suppressed_rows == 0


sensitive = st.dictionaries(
    st.tuples(st.tuples(st.sampled_from(["a", "b", "c"])), st.sampled_from(["x", "y", "z"])),
    st.integers(0, 4),
    max_size=9,
)


@given(sensitive, st.integers(2, 4))
def test_l_diversity_reports_exactly_the_classes_below_l(histogram, l_required):
    seen = {}
    for (cls, value), count in histogram.items():
        seen.setdefault(cls, set())
        if count > 0:
            seen[cls].add(value)
    expected = {cls: len(v) for cls, v in seen.items() if len(v) < l_required}
    result = l_diversity(histogram, l_required)
    assert result.failing == expected
    assert result.satisfied == (not expected)


@pytest.mark.parametrize("l_required", [1, 0, True, 2.5])
def test_l_below_two_is_refused(l_required):
    with pytest.raises(ValueError, match="l muss"):
        l_diversity({(("a",), "x"): 3}, l_required)


def test_sensitive_values_follow_the_chosen_levels_and_suppression():
    histogram = {(21, "male"): 3, (23, "male"): 3, (22, "female"): 5, (40, "female"): 1}
    result = anonymise(histogram, SMALL[:2], k=5, max_suppression=0.1)
    with_sensitive = {
        ((21, "male"), "benefit_a"): 3,
        ((23, "male"), "benefit_b"): 3,
        ((22, "female"), "benefit_a"): 5,
        ((40, "female"), "benefit_b"): 1,
    }
    general = generalise_sensitive(with_sensitive, SMALL[:2], result)
    assert general == {
        (("20-24", "male"), "benefit_a"): 3,
        (("20-24", "male"), "benefit_b"): 3,
        (("20-24", "female"), "benefit_a"): 5,
    }
    diversity = l_diversity(general, 2)
    assert diversity.failing == {("20-24", "female"): 1}
