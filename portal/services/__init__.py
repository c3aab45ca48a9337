"""Side effects live here: storage, queueing, mail, audit, accounts."""
