"""The rollout engine: an explicit state machine over a durable SQLite journal."""
