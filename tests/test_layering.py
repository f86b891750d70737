"""Dependencies point one way: service → matching, assessment → passport."""

from __future__ import annotations

import subprocess
import sys


def test_lower_layers_import_neither_the_service_nor_fastapi():
    code = ("import sys, passport.taxonomy, passport.models, passport.population, assessment, matching, "
            "matching.pipeline, matching.synthetic; "
            "bad = [m for m in ('service', 'fastapi', 'sqlalchemy') if m in sys.modules]; print(bad)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_passport_imports_nothing_else_of_the_project():
    code = ("import sys, passport.taxonomy, passport.models, passport.population, passport.geography; "
            "print([m for m in ('matching', 'assessment', 'service') if m in sys.modules])")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_only_the_national_batch_loads_the_compiled_kernels():
    # Importing Numba costs 1.7 s and ~100 MB: the HTTP processes and the other commands
    # must not pay that. The recommendations router uses the pre-screen, which is the way
    # it could creep in.
    code = ("import sys, service.cli, service.api.app, service.api.routers.recommendations, matching.pipeline, "
            "matching.evaluation, matching.prescreen; print('numba' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
