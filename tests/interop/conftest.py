"""Fixtures of the interop tests (the binary itself comes from tests/conftest.py)."""

import pytest

from interop import ModbusTwin
from mbus_interop import MbusTwin, libmbus_bin


@pytest.fixture
def modbus_twin(binary):
    """A stepped twin with Modbus TCP, RTU over TCP and a pty on fresh names; killed after the test."""
    with ModbusTwin(binary) as twin:
        yield twin


@pytest.fixture
def mbus_twin(binary):
    """A stepped twin with M-bus over TCP and on a pty (Modbus off); killed after the test."""
    with MbusTwin(binary) as twin:
        yield twin


@pytest.fixture(scope="session")
def libmbus(binary):
    """The directory of the libmbus tools, built once (tests/interop/build_libmbus.sh)."""
    return libmbus_bin(binary)
