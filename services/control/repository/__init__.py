"""Every query of the control service. Rows come back as the domain's records and aggregates.

A meter that may change is only ever handed out locked (`meters.get_for_update`), and every
statement that changes a meter's commands takes that LockedMeter: the repository checks it is
the one this transaction locked. Lists take a limit and a keyset cursor; the queues the sweep
drains (timeouts, due batches, window ends, due retries) take a limit only, since what they
return leaves the queue once handled.
"""
