"""Infrastructure every layer may use: settings, clock, secrets and tokens, log redaction,
rate limits, the event-loop lag monitor and the metrics collector. Nothing here serves
HTTP."""
