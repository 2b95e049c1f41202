"""Staff accounts: users and their sign-in sessions (``users.py``), API keys for
integrations (``apikeys.py``). They raise ``server.errors`` errors, never HTTP ones."""
