"""Quick phrases an agent sends in the buyer's language (``phrases.py``); the shipped set
is data (``defaults.json``), stored once by migration 0008 and then the shop's to edit."""
