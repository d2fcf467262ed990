"""The one build step pyproject.toml cannot declare: the root's ``schemas/`` and ``config/``
copied into the wheel as ``hub/_shipped/``, where ``hub.core.shipped`` finds them.

Setuptools ships data files only from inside a package, and both directories stay at the
repository root. An editable install gets no copy: it reads the checkout's own files.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("schemas", "config")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.py[co]")


class BuildPyWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, "hub", "_shipped")
        shutil.rmtree(target, ignore_errors=True)  # build/ is reused: drop removed files
        for name in SHIPPED:
            shutil.copytree(ROOT / name, target / name, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
