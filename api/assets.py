"""Where the dashboard's templates and static files are: `TEMPLATES_DIR` and `STATIC_DIR`.

They are the folders `templates/` and `static/` of the source tree, which pyproject.toml maps into
the packages `api.templates` and `api.static`. Both are found through the import system's spec of
`api.templates` (the folder holding its `__init__.py`), with `static/` beside it: in an editable
install that is the source tree, in a wheel `api/templates` and `api/static`. Finding the spec
imports nothing but `api`.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def _package_folder(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"no package {name}: install the project (`make setup` or `pip install .`)")
    return Path(spec.origin).parent


TEMPLATES_DIR = _package_folder("api.templates")
STATIC_DIR = TEMPLATES_DIR.parent / "static"
