"""Shared pieces of the CLI test suites (tests/cli/test_*.py).

Each suite registers its cases with @test: a case runs at once, a failure is
reported with its exception and the suite goes on, and the counts in
`results` make the suite's "NAME: N passed, M failed" line and exit status.
"""

results = {"passed": 0, "failed": 0, "pending": []}


def test(fn):
    try:
        fn()
        results["passed"] += 1
        print("ok   %s" % fn.__name__)
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        results["failed"] += 1
        print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
    return fn
