"""Build the offline install bundle: dist/hallq-<version>-<arch>.tar.gz (docs/deployment.md).

    python deploy/bundle.py [--arch x86_64 --arch aarch64] [--python 3.11 ...] [--host-only] [--out dist]

Each tarball holds Hallq's wheel (with the hall board's voice clips, which are built, not kept
in git), a wheel of every package of requirements.lock for each Python and its machine, the
example hall configuration, the systemd units and install.sh. Building needs PyPI; installing
needs nothing but the tarball and Debian's python3-venv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
VOICE_MANIFEST = "hall_display/static/voice/default/manifest.json"
ARCHES = ("x86_64", "aarch64")
PYTHONS = ("3.11", "3.12", "3.13")
# The newest glibc a wheel may need: Debian 12's is 2.36. Older manylinux wheels run too.
GLIBC_MINOR = 36
# Shipped beside the wheels: the source of truth for both the bundle and docs/deployment.md.
BUNDLED = {
    "deploy/install.sh": "install.sh",
    "deploy/systemd": "systemd",  # the units
    "config": "config",  # the example hall, install.sh's starting /etc/hallq
    ".env.example": "env.example",  # every setting, explained
}


class BundleError(Exception):
    pass


@dataclass(frozen=True)
class Locked:
    """One package of the lock: its pinned version, the environments that need it, its hashes."""

    name: str
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]

    def needed_on(self, arch: str, python: str) -> bool:
        """Whether any CPython `python`.x on Linux/arch needs it (a marker may name a patch release:
        async-timeout is needed below 3.11.3, and Debian 12's Python is 3.11.2)."""
        if self.marker is None:
            return True
        return any(
            self.marker.evaluate(
                {
                    "python_version": python,
                    "python_full_version": f"{python}.{patch}",
                    "platform_machine": arch,
                    "sys_platform": "linux",
                    "platform_system": "Linux",
                    "os_name": "posix",
                    "implementation_name": "cpython",
                    "platform_python_implementation": "CPython",
                }
            )
            for patch in (0, 99)
        )


def read_lock(path: Path = LOCK) -> list[Locked]:
    """The lock's entries (`name==version ; marker \\` then `--hash=sha256:…` lines)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    locked = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        hashes = tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        requirement = re.sub(r"--hash=\S+", "", line).strip()
        spec, _, marker = requirement.partition(";")
        name, _, version = spec.strip().partition("==")
        condition = Marker(marker) if marker.strip() else None
        locked.append(Locked(str(canonicalize_name(name)), version.strip(), condition, hashes))
    return locked


def platforms(arch: str) -> list[str]:
    """pip's --platform list for a Debian 12 machine: every manylinux it can run, newest first."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC_MINOR, 16, -1)]
    tags.append(f"manylinux2014_{arch}")
    if arch == "x86_64":
        tags += ["manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]
    return [*tags, f"linux_{arch}"]


def target_tags(arch: str, python: str) -> set[Tag]:
    version = tuple(int(part) for part in python.split("."))
    return set(cpython_tags(version, platforms=platforms(arch))) | set(
        compatible_tags(version, interpreter=f"cp{version[0]}{version[1]}", platforms=platforms(arch))
    )


def pip(*arguments: str | Path) -> None:
    """This interpreter's pip (the checkout's .venv under ./dev), the command shown first."""
    command = [sys.executable, "-m", "pip", *map(str, arguments)]
    shown = [part for part in command[3:] if not part.startswith("--platform=")]
    platforms_given = len(command) - 3 - len(shown)
    print("+ pip", *shown, f"(and {platforms_given} --platform)" if platforms_given else "", file=sys.stderr)
    subprocess.run(command, check=True)


def project_wheel(out: Path) -> Path:
    """Hallq's wheel, built from a copy of the checkout's files (git's, not build/'s leftovers)
    with the voice clips, which git ignores and the board serves from the package."""
    if not (ROOT / VOICE_MANIFEST).is_file():
        raise BundleError(f"{VOICE_MANIFEST} is missing: build the voice clips first (./dev setup)")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    voice = ROOT / VOICE_MANIFEST
    files = [name for name in listed if name and (ROOT / name).is_file()]
    files += [str(path.relative_to(ROOT)) for path in voice.parent.rglob("*") if path.is_file()]
    with tempfile.TemporaryDirectory(prefix="hallq-source-") as source:
        for name in files:
            (Path(source) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, Path(source) / name)
        # The checkout's setuptools builds it: no download, and the same one the lock pins.
        pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, source)
    (wheel,) = out.glob("hallq-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = set(archive.namelist())
    # A file the code opens beside itself but package-data leaves out works in a checkout and
    # fails only once installed (printer_driver/layout.toml did): every file of a package ships.
    packages = {name.split("/", 1)[0] for name in packed if name.endswith("/__init__.py")}
    left_out = [name for name in files if name.split("/", 1)[0] in packages and name not in packed]
    if left_out:
        raise BundleError(f"{wheel.name} lacks {', '.join(left_out)}: add them to pyproject's package-data")
    return wheel


def target_options(arch: str, python: str) -> list[str]:
    """pip's options that choose files for CPython `python` on a Debian 12 machine `arch`."""
    abis = ["cp" + python.replace(".", ""), "abi3", "none"]
    return [
        *("--python-version", python, "--implementation", "cp"),
        *(f"--abi={abi}" for abi in abis),
        *(f"--platform={tag}" for tag in platforms(arch)),
    ]


def download(locked: list[Locked], arch: str, python: str, wheels: Path) -> None:
    """Every package this Python on this machine needs, by the lock's versions and hashes:
    a wheel where PyPI has one for it, else the source (built below)."""
    needed = [entry for entry in locked if entry.needed_on(arch, python)]
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        for entry in needed:
            hashes = " ".join(f"--hash=sha256:{digest}" for digest in entry.hashes)
            requirements.write(f"{entry.name}=={entry.version} {hashes}\n")
        requirements.flush()
        pip(
            "download", "--quiet", "--no-deps", "--require-hashes", *target_options(arch, python),
            "-r", requirements.name, "-d", wheels,
        )  # fmt: skip


def build_sources(wheels: Path) -> None:
    """Packages PyPI has only as source, made into wheels here (a pure-Python one, py3-none-any,
    serves every machine; any other fails the check below, naming it)."""
    for sdist in sorted([*wheels.glob("*.tar.gz"), *wheels.glob("*.zip")]):
        pip("wheel", "--quiet", "--no-deps", "-w", wheels, sdist)
        sdist.unlink()


def missing_wheels(locked: list[Locked], wheels: Path, arch: str, python: str) -> list[str]:
    """The locked packages that no wheel in the folder installs on CPython `python` on arch."""
    tags = target_tags(arch, python)
    have: dict[tuple[str, str], set[Tag]] = {}
    for wheel in wheels.glob("*.whl"):
        name, version, _, wheel_tags = parse_wheel_filename(wheel.name)
        have.setdefault((str(name), str(version)), set()).update(wheel_tags)
    return [
        f"{entry.name}=={entry.version}"
        for entry in locked
        if entry.needed_on(arch, python) and not have.get((entry.name, entry.version), set()) & tags
    ]


def requirements_file(locked: list[Locked], wheels: Path, hallq: Path) -> str:
    """install.sh's requirements: every package at its locked version with the lock's marker,
    and the hashes of the wheels in this bundle (a built wheel has none on PyPI)."""
    digests: dict[str, list[str]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        name = str(parse_wheel_filename(wheel.name)[0])
        digests.setdefault(name, []).append(hashlib.sha256(wheel.read_bytes()).hexdigest())
    lines = ["# Installed by install.sh: pip install --no-index --require-hashes -r requirements.txt"]
    for entry in [*locked, Locked("hallq", str(parse_wheel_filename(hallq.name)[1]), None, ())]:
        if entry.name not in digests:
            continue  # needed on no machine of this bundle (a Windows-only package)
        marker = f" ; {entry.marker}" if entry.marker else ""
        hashes = " ".join(f"--hash=sha256:{digest}" for digest in digests[entry.name])
        lines.append(f"{entry.name}=={entry.version}{marker} {hashes}")
    return "\n".join(lines) + "\n"


def bundle(arch: str, pythons: list[str], out: Path, hallq_wheel: Path, locked: list[Locked]) -> Path:
    version = str(parse_wheel_filename(hallq_wheel.name)[1])
    name = f"hallq-{version}-{arch}"
    with tempfile.TemporaryDirectory(prefix="hallq-bundle-") as work:
        top = Path(work) / name
        wheels = top / "wheels"
        wheels.mkdir(parents=True)
        for python in pythons:
            download(locked, arch, python, wheels)
        build_sources(wheels)
        missing = [
            f"CPython {python}: {', '.join(names)}"
            for python in pythons
            if (names := missing_wheels(locked, wheels, arch, python))
        ]
        if missing:
            raise BundleError(f"{name}: no wheel for " + "; ".join(missing))
        shutil.copy2(hallq_wheel, wheels)
        (top / "requirements.txt").write_text(requirements_file(locked, wheels, hallq_wheel))
        for python in pythons:  # what install.sh will run, resolved by pip with no index
            pip(
                "install", "--quiet", "--isolated", "--dry-run", "--ignore-installed", "--only-binary=:all:",
                "--no-index", "--find-links", wheels, "--require-hashes", "-r", top / "requirements.txt",
                *target_options(arch, python),
            )  # fmt: skip
        for source, target in BUNDLED.items():
            copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy2
            copy(ROOT / source, top / target)
        about = {
            "version": version,
            "arch": arch,
            "pythons": pythons,
            "commit": git("describe", "--always", "--dirty").strip(),
        }
        (top / "bundle.json").write_text(json.dumps(about, indent=1) + "\n")
        out.mkdir(parents=True, exist_ok=True)
        tarball = out / f"{name}.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            tar.add(top, arcname=name)
    return tarball


def git(*arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", action="append", choices=ARCHES, help="default: both")
    parser.add_argument("--python", action="append", choices=PYTHONS, help="default: all three")
    parser.add_argument(
        "--host-only", action="store_true", help="only this machine's arch and Python (quick: the tests)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    host_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    arches = [platform.machine()] if args.host_only else args.arch or list(ARCHES)
    pythons = [host_python] if args.host_only else args.python or list(PYTHONS)
    if not set(arches) <= set(ARCHES):
        sys.exit(f"bundle: this machine is {arches[0]}: a bundle is for {' or '.join(ARCHES)}")
    locked = read_lock()
    try:
        with tempfile.TemporaryDirectory(prefix="hallq-wheel-") as built:
            hallq_wheel = project_wheel(Path(built))
            for arch in arches:
                tarball = bundle(arch, pythons, args.out, hallq_wheel, locked)
                print(f"{tarball}: {tarball.stat().st_size / 2**20:.1f} MiB, CPython {', '.join(pythons)}")
    except (BundleError, subprocess.CalledProcessError) as exc:
        sys.exit(f"bundle: {exc}")


if __name__ == "__main__":
    main()
