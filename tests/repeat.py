"""Checks of a sampling model, run several times and held to a pass rate.

At the product's temperature the model's answers vary from run to run: one run passing
says little, and one run failing is not yet a broken product. A case is run ``runs``
times and must pass at least ``at_least`` of them; the failures are shown either way.
"""

from __future__ import annotations

from collections.abc import Callable


def assert_pass_rate(check: Callable[[], None], runs: int, at_least: int) -> int:
    """Run ``check`` ``runs`` times; fail unless ``at_least`` runs passed. Returns how many
    passed (printed, so ``pytest -s`` shows the rate)."""
    failures: list[str] = []
    for _ in range(runs):
        try:
            check()
        except AssertionError as failure:
            failures.append(str(failure)[:500])
    passed = runs - len(failures)
    print(f"{check.__name__}: {passed} of {runs} runs passed")
    assert passed >= at_least, (
        f"{passed} of {runs} runs passed, {at_least} needed; failures:\n" + "\n".join(failures)
    )
    return passed
