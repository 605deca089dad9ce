"""The offline install bundle, end to end: `./dev bundle --host-only` builds it (from PyPI),
install.sh installs it under a prefix with no package index reachable, and the installed
`hallq` checks the configuration, initialises the hall and serves it (docs/deployment.md).
About a minute and a half: most of it pip installing the bundle's wheels, twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import requests

from tests.live.conftest import free_port, start_server

ROOT = Path(__file__).resolve().parent.parent
# No index, no other wheels, and a proxy that answers nothing: whatever pip or anything else
# tried to fetch would fail.
OFFLINE = {
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "",
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
}


def installed_environment(root: Path) -> dict[str, str]:
    """A hall administrator's shell: none of the checkout's settings or Python paths."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HALLQ_", "PIP_", "PYTHON", "VIRTUAL_ENV"))
        and name not in ("SECRET_KEY", "DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE")
    }
    return {**kept, **OFFLINE, "HALLQ_ENV_FILE": str(root / "etc/hallq/.env")}


def install(bundle: Path, root: Path) -> str:
    done = subprocess.run(
        [bundle / "install.sh", "--prefix", root, "--no-system", "--python", sys.executable],
        env=installed_environment(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [ROOT / "dev", "bundle", "--host-only", "--out", out], capture_output=True, text=True, timeout=600
    )
    assert built.returncode == 0, built.stderr
    (tarball,) = out.glob("hallq-*.tar.gz")
    with tarfile.open(tarball) as tar:
        tar.extractall(out, filter="tar")
    return tarball.with_name(tarball.name.removesuffix(".tar.gz"))


def test_the_bundle_installs_and_serves_with_no_package_index(bundle, tmp_path):
    root = tmp_path / "root"
    env = installed_environment(root)
    hallq = root / "opt/hallq/venv/bin/hallq"

    def run(*args: str) -> str:
        done = subprocess.run(
            [hallq, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "hallq check-config" in install(bundle, root)
    settings = (root / "etc/hallq/.env").read_text()
    assert re.search(r"^SECRET_KEY=[0-9a-f]{64}$", settings, re.MULTILINE)
    assert f"HALLQ_INSTANCE={root / 'var/lib/hallq'}\n" in settings
    unit = (root / "etc/systemd/system/hallq.service").read_text()
    assert f"ExecStart={hallq} serve --host 127.0.0.1 --port 5000\n" in unit
    assert f"Environment=HALLQ_ENV_FILE={root / 'etc/hallq/.env'}\n" in unit
    assert (root / "etc/systemd/system/hallq-agent.service").is_file()

    # The installed package, not this checkout; with no settings, the system's folders.
    python = root / "opt/hallq/venv/bin/python"
    where = subprocess.run(
        [python, "-c", "import hallq, hallq.settings as s; print(hallq.__file__, s.DEFAULT_PATHS.model_dump_json())"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(root / "opt/hallq/venv/lib/")), where
    assert '{"env_file":"/etc/hallq/.env","config":"/etc/hallq","instance":"/var/lib/hallq"}' in where

    assert "OK: 青山县政务服务中心" in run("check-config")
    assert "76 items added" in run("init")
    assert (root / "var/lib/hallq/hallq.sqlite").is_file()
    port = free_port()
    server = start_server(env, port, tmp_path / "serve.log", ["serve"], hallq=(str(hallq),))
    try:
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert (health.status_code, health.json()["database"]) == (200, "ok")
        clip = requests.get(f"http://127.0.0.1:{port}/board/voice/zh/hao", timeout=10)  # the wheel's clips
        assert (clip.status_code, clip.headers["Content-Type"]) == (200, "audio/wav")
    finally:
        server.terminate()
        server.wait(timeout=15)

    # Installed again (as an upgrade would be): the hall's files and its secret stay as they were.
    hall_toml = root / "etc/hallq/hall.toml"
    hall_toml.write_text(
        hall_toml.read_text(encoding="utf-8") + "\n# the hall's own edit\n", encoding="utf-8"
    )
    assert "already" in install(bundle, root)  # the same packages: pip need not run again
    assert (root / "etc/hallq/.env").read_text() == settings
    assert hall_toml.read_text(encoding="utf-8").endswith("# the hall's own edit\n")
    assert "database schema is current" in run("db", "upgrade")
