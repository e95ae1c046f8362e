"""The league's Alembic migrations (`env.py`, `versions/`), shipped as the package `league.core.migrations`.

pyproject.toml maps this folder into the distribution, so a wheel carries it inside `league/core/`
and an editable install finds it here; `league.core.migrate` locates it through the import system.
"""
