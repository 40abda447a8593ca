"""Sphinx configuration for the netdevspec documentation (MyST Markdown, furo theme).

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors).
"""

project = "netdevspec"
author = "the netdevspec authors"
copyright = "netdevspec authors"

# netdevspec.sphinxext writes the rule catalogue (rules/*.rst, reStructuredText) from the
# rule objects when the build starts.
# autodoc writes the API reference (api.md) from the public objects' docstrings.
extensions = ["myst_parser", "sphinx.ext.autodoc", "netdevspec.sphinxext"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = "netdevspec"
# An sk_buff (headroom, data) as the site's icon. Without one a browser asks for
# /favicon.ico and logs the 404 as a console error (tests/test_site.py allows none).
html_favicon = "_static/favicon.svg"

# Headings down to ``####`` get anchors, so the catalogue's links (``#skb-put-bounds``
# for the heading ``### `skb.put.bounds```) resolve. The slug function is docutils'
# own id maker: lowercase, every run of characters outside [a-z0-9] becomes one "-",
# leading digits/hyphens and trailing hyphens dropped. That is exactly the anchor
# `netdevspec docs` writes. MyST's default (GitHub style) would delete the dots
# instead (``skbputbounds``). It is given as an import path, not a function defined
# here, so the setting can be pickled with the build environment (a function from
# conf.py cannot, and Sphinx warns about it).
myst_heading_anchors = 4
myst_heading_slug_func = "docutils.nodes.make_id"
