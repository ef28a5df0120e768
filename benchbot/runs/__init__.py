"""A run from plan to record: the session, the executor, device leases, retries, nightly."""
