"""pytest configuration shared by the Python suites (tests/e2e, tests/interop): the ambimeter
binary under test, and the log of every twin a failed test was handed by a fixture.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_api.py --binary=build/rel/ambimeter

ctest runs one file per test that way (tests/CMakeLists.txt), with PYTHONDONTWRITEBYTECODE=1.
"""

import os
import sys

import pytest

# No __pycache__ next to the helpers and tests (ctest also sets PYTHONDONTWRITEBYTECODE=1,
# which covers this file too).
sys.dont_write_bytecode = True

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))

# The helpers assert too: give their failures pytest's detail.
pytest.register_assert_rewrite("twin", "interop", "mbus_interop", "tools")

from twin import Twin  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--binary", metavar="PATH", default=None,
                     help="the ambimeter binary under test (default: $AMBIMETER)")


@pytest.fixture(scope="session")
def binary(pytestconfig):
    """The absolute path of the ambimeter binary: --binary PATH, else $AMBIMETER."""
    path = pytestconfig.getoption("binary") or os.environ.get("AMBIMETER")
    if not path:
        pytest.exit("no ambimeter binary: pass --binary PATH or set AMBIMETER", returncode=4)
    if not os.access(path, os.X_OK):
        pytest.exit(f"--binary {path}: not an executable file (build the ambimeter target)", returncode=4)
    return os.path.abspath(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the stderr of each twin its fixtures started."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, Twin):
            report.sections.append((f"stderr of the twin {name}", value.stderr()[-4000:] or "(empty)"))
