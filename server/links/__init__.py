"""Buyer links ("show us the problem") and the buyer passes they are redeemed for
(``buyer_links.py``)."""
