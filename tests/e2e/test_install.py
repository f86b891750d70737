"""``pip install .`` (not editable) works and finds data/ from the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_non_editable_install_finds_its_data(tmp_path):
    target = tmp_path / "site"
    # --no-deps: the dependencies are already in this environment; what is under test is
    # that the wheel carries the packages and the reference data.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(REPO)], check=True, capture_output=True)
    assert (target / "skillpass_data" / "taxonomy" / "soft_skills.csv").is_file()
    assert (target / "passport" / "schemas" / "passport.schema.json").is_file()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    env.pop("SKILLPASS_DATA_DIR", None)
    code = ("import passport.taxonomy as t, passport; "
            "tax = t.load_taxonomy(); print(passport.__file__); print(tax.root); print(tax.n_soft_skills)")
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    module_file, root, n_skills = completed.stdout.split()
    assert module_file.startswith(str(target)) and root.startswith(str(target)) and n_skills == "20"
