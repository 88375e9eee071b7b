# conftest.py - shared helpers of the pinch Python module's tests (pytest,
# Debian's python3-pytest). The module is imported from the build tree:
# meson test sets PYTHONPATH=build/python and PINCH (the CLI).
import os
import shutil
import urllib.error
import urllib.request

import pytest


def need(what, found):
    """Skips when a tool or package is missing, unless CI=true (then the
    missing tool is a failure: CI installs it through scripts/deps.sh)."""
    if found:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing (CI=true: scripts/deps.sh test installs it)")
    pytest.skip(f"{what} is not installed")


def need_prog(name):
    path = shutil.which(name)
    need(name, path)
    return path


def need_module(name):
    try:
        mod = __import__(name)
    except ImportError:
        mod = None
    need(f"python module {name}", mod)
    return mod


@pytest.fixture
def pinch_cli():
    path = os.environ.get("PINCH") or shutil.which("pinch")
    need("pinch CLI ($PINCH)", path and os.access(path, os.X_OK))
    return path


def get(port, path, timeout=10):
    """(status, content type, body) of GET http://127.0.0.1:port/path,
    the body read whole (also for error statuses)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def sample(text, name):
    """The value of the sample line `name value` of a /metrics text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None
