"""Fixtures of the end-to-end tests (the binary itself comes from tests/conftest.py)."""

import tempfile

import pytest

from twin import Twin


@pytest.fixture
def new_dir(tmp_path):
    """Makes a fresh empty directory under the test's tmp_path on each call (a --state)."""
    return lambda: tempfile.mkdtemp(dir=tmp_path)


@pytest.fixture
def stepped_twin(binary, tmp_path):
    """A running `ambimeter run --clock stepped` with a fresh state; killed after the test."""
    with Twin(binary, str(tmp_path / "state"), "--clock", "stepped") as t:
        yield t
