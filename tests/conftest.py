"""Shared test options and fixtures: `--update-goldens` rewrites golden files instead of comparing;
`postgres` is a throwaway PostgreSQL cluster for the SQL backends' tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden .expected files from the current output")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


# ---- PostgreSQL: a throwaway cluster -------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A connection string to a fresh PostgreSQL cluster on a local socket."""
    bindir = _pg_bin()
    if bindir is None:
        message = "PostgreSQL server binaries not found (apt-get install -y postgresql; .ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a real component must run, not skip
        pytest.skip(message)
    root = tempfile.mkdtemp(prefix="syllog-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(root, "data")
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                              "--no-sync"], check=True, capture_output=True)
    opts = f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", data, "-o", opts, "-l", os.path.join(root, "log"), "-w",
                              "start"], check=True, capture_output=True)
    try:
        yield f"host={root} dbname=postgres user=postgres"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
