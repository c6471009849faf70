"""The outgoing queue: jobs kept in SQLite, a retry policy, and the senders that place calls."""
