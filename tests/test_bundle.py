"""deploy/bundle.py's reading of the lock and its check that every machine and Python of a
tarball has a wheel of every package (tests/test_offline_install.py builds a real one)."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("deploy_bundle", ROOT / "deploy" / "bundle.py")
assert _spec and _spec.loader
bundle = importlib.util.module_from_spec(_spec)
sys.modules["deploy_bundle"] = bundle  # where its dataclass looks its module up
_spec.loader.exec_module(bundle)


def test_the_lock_is_read_with_its_markers_and_hashes():
    locked = {entry.name: entry for entry in bundle.read_lock()}
    assert locked["flask"].marker is None
    assert len(locked["uvloop"].hashes) > 1  # one per wheel on PyPI
    # Debian 12's Python is 3.11.2: a package needed below 3.11.3 goes into the 3.11 wheels.
    assert locked["async-timeout"].needed_on("x86_64", "3.11")
    assert not locked["async-timeout"].needed_on("x86_64", "3.12")
    assert not locked["colorama"].needed_on("aarch64", "3.13")  # Windows only


def test_a_package_without_a_wheel_for_a_machine_or_python_is_named(tmp_path):
    for wheel in (
        "uvloop-0.23.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "a2wsgi-1.10.10-py3-none-any.whl",
        "pillow-13.0.0-cp311-cp311-manylinux_2_39_x86_64.whl",  # newer than Debian 12's glibc
    ):
        (tmp_path / wheel).write_bytes(b"")
    locked = [bundle.Locked(name, version, None, ()) for name, version in
              (("uvloop", "0.23.0"), ("a2wsgi", "1.10.10"), ("pillow", "13.0.0"))]  # fmt: skip
    assert bundle.missing_wheels(locked, tmp_path, "x86_64", "3.11") == ["pillow==13.0.0"]
    assert bundle.missing_wheels(locked, tmp_path, "x86_64", "3.12") == ["uvloop==0.23.0", "pillow==13.0.0"]
    assert bundle.missing_wheels(locked, tmp_path, "aarch64", "3.11") == ["uvloop==0.23.0", "pillow==13.0.0"]
