"""Webhooks: events about calls, verdicts, photos and recordings sent to a shop's systems,
signed as the Standard Webhooks specification says.

- ``events.py``: the event types and their versioned bodies;
- ``outbox.py``: ``emit``, which writes an event's deliveries in the caller's transaction;
- ``addresses.py``: which receiver addresses are refused (loopback, private, ...);
- ``endpoints.py``: endpoints and their secrets (create, change, rotate, delete);
- ``delivery.py``: the sender (claims due deliveries, signs, posts, retries, disables).
"""
