"""Consent texts, versioned per purpose and locale (``texts.py``); the shipped defaults are
data, one file per locale (``texts/<locale>.json``)."""
