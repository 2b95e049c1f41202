"""The ``showdesk`` command line: ``commands.py`` (the parser and every subcommand) and
``serve.py`` (``showdesk serve``: first start, uvicorn, graceful shutdown)."""
