"""Build step only: copy the page templates, the site's base mkdocs.yml and the annotated hallscore.toml (printed
by ``hallscore config --example``) into the wheel (generator/_shipped/).

They live at the top of the repository (design card) and are read from there in a checkout; an installed
package finds its copies through generator/resources.py.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithShipped(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the sources in place
        target = Path(self.build_lib) / "generator" / "_shipped"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / "templates", target / "templates")
        shutil.copy2(ROOT / "mkdocs.yml", target / "mkdocs.yml")
        shutil.copy2(ROOT / "hallscore.toml", target / "hallscore.toml")


setup(cmdclass={"build_py": BuildWithShipped})
