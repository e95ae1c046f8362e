"""The dashboard's Jinja2 templates, shipped as the package `api.templates`.

pyproject.toml maps this folder (and `static/` beside it, as `api.static`) into the distribution;
`api.assets` locates both through the import system, the same way in a wheel and an editable install.
"""
