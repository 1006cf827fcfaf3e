"""Control's use cases, one module per capability.

facts: what other services report (wallet events, command results, device status);
readings: the meter kind and the overload trip, from the reading stream;
queue: the policy, the queue of each meter's commands, dispatch and outcomes;
operators: one operation on one meter, tags; batches: an operation over a selection;
windows: protection windows; sweep: timeouts, retries, schedules, window ends;
queries: what the console and operators read.
"""
