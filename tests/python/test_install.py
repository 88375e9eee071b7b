# `meson install` of the pinch package: the .so and the .py files land in
# one pinch/ directory, the installed copy imports (not the build tree's),
# and for the default prefix /usr/local the directory is one Debian's
# python3.11 searches (/usr/local/lib/python3.11/dist-packages).
import os
import subprocess
import sys

from conftest import need, need_prog


def test_meson_install(tmp_path):
    build = os.environ.get("PINCH_BUILD_ROOT")
    need("the build directory ($PINCH_BUILD_ROOT)", build and os.path.isdir(build))
    meson = need_prog("meson")
    dest = tmp_path / "dest"
    # --tags python-runtime: only the Python package (python/pinch/meson.build)
    p = subprocess.run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", str(dest), "--tags", "python-runtime"],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "LD_PRELOAD": ""})
    assert p.returncode == 0, p.stdout + p.stderr
    sos = list(dest.rglob("_pinch*.so"))
    assert len(sos) == 1, sos
    pkg = sos[0].parent
    assert pkg.name == "pinch"
    assert {"__init__.py", "metrics.py", "asgi.py", sos[0].name} == {f.name for f in pkg.iterdir()}
    assert [str(f.relative_to(dest)) for f in dest.rglob("*") if f.is_file()
            and f.parent != pkg] == []                  # nothing else with that tag
    site = pkg.parent
    installed = "/" + str(site.relative_to(dest))

    # the installed copy works, in this interpreter (both Pythons run this test)
    code = ("import pinch, sys; from pinch import metrics; metrics.increment('inst_total', 3); "
            "print(pinch.__file__); print(metrics.summary()['counters']['inst_total'])")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(pkg / "__init__.py"), "3"]

    # where the interpreter the module was built for looks by itself
    built_for = os.environ.get("PINCH_PYTHON_BUILT_FOR", "")
    prefix = os.environ.get("PINCH_PREFIX", "")
    if prefix == "/usr/local" and built_for == "/usr/bin/python3.11":
        assert installed == "/usr/local/lib/python3.11/dist-packages"
        p = subprocess.run([built_for, "-c", "import sys; print('\\n'.join(sys.path))"],
                           capture_output=True, text=True, env={"PATH": os.environ["PATH"]},
                           timeout=60)
        assert installed in p.stdout.splitlines()
