"""``bmad dashboard``: a local web dashboard over what bmad knows about a repository.

``model`` gathers the data once (findings, sizes, trends, architecture, privacy, federation);
``server`` serves it on 127.0.0.1 behind a random token; the ``*_pages`` modules render each
page as HTML with server-side SVG charts (``charts``, ``treemap``); ``static`` holds the
stylesheet and icon. No script, no asset from elsewhere: it works offline.
"""
