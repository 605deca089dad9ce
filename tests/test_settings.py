"""Where the settings, the hall's files and the data are: beside the code in a checkout, in the
system's folders once installed (docs/deployment.md), and a clear message for a path that
cannot serve."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from hallq.cli import main
from hallq.settings import DEFAULT_PATHS, PROJECT_ROOT, default_paths
from tests.conftest import DEMO_CONFIG

SETTINGS_OF_ENV_FILES = ("HALLQ_CONFIG", "HALLQ_INSTANCE", "DATABASE_URL", "SECRET_KEY")


@pytest.fixture
def environment(monkeypatch):
    """No setting from the test run's environment; any that a .env adds is removed afterwards."""
    for name in (*SETTINGS_OF_ENV_FILES, "HALLQ_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def hallq(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_a_checkout_keeps_everything_beside_the_code():
    assert default_paths(PROJECT_ROOT) == DEFAULT_PATHS
    assert default_paths(PROJECT_ROOT).model_dump() == {
        "env_file": PROJECT_ROOT / ".env",
        "config": PROJECT_ROOT / "config",
        "instance": PROJECT_ROOT / "instance",
    }


def test_an_installed_package_uses_the_system_folders_not_site_packages(tmp_path):
    site_packages = tmp_path / "lib" / "python3.11" / "site-packages"
    (site_packages / "hallq").mkdir(parents=True)
    assert default_paths(site_packages).model_dump() == {
        "env_file": Path("/etc/hallq/.env"),
        "config": Path("/etc/hallq"),
        "instance": Path("/var/lib/hallq"),
    }


def test_the_env_file_named_by_hallq_env_file_is_read(environment, tmp_path):
    env_file = tmp_path / "etc" / ".env"
    env_file.parent.mkdir()
    env_file.write_text(f"HALLQ_CONFIG={DEMO_CONFIG}\nHALLQ_INSTANCE={tmp_path / 'data'}\n")
    environment.setenv("HALLQ_ENV_FILE", str(env_file))
    code, output = hallq("check-config")
    assert code == 0, output
    assert output.startswith(f"{DEMO_CONFIG}: OK:")


def test_a_missing_env_file_is_named(environment, tmp_path):
    environment.setenv("HALLQ_ENV_FILE", str(tmp_path / "nowhere" / ".env"))
    assert hallq("check-config") == (1, f"Error: HALLQ_ENV_FILE: no file {tmp_path / 'nowhere' / '.env'}\n")


def test_a_config_folder_without_a_hall_is_named(environment, tmp_path):
    environment.setenv("HALLQ_CONFIG", str(tmp_path))
    code, output = hallq("check-config")
    assert code == 1
    assert f"{tmp_path / 'hall.toml'}: not found (set HALLQ_CONFIG" in output


def test_an_instance_folder_that_cannot_be_made_is_named(environment, tmp_path):
    (tmp_path / "a-file").write_text("")
    environment.setenv("HALLQ_CONFIG", str(DEMO_CONFIG))
    environment.setenv("HALLQ_INSTANCE", str(tmp_path / "a-file" / "instance"))
    code, output = hallq("db", "upgrade")
    assert (code, output) == (
        1,
        f"Error: HALLQ_INSTANCE: cannot create the folder {tmp_path / 'a-file' / 'instance'}: Not a directory\n",
    )
    environment.setenv("HALLQ_INSTANCE", str(tmp_path / "a-file"))
    assert hallq("db", "upgrade") == (1, f"Error: HALLQ_INSTANCE: {tmp_path / 'a-file'} is not a folder\n")
