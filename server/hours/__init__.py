"""Support hours: when the shop answers, and what the buyer page offers otherwise."""
