"""Replaying a whole event log: read and check the lines, order them, evaluate (in one process or
partitioned by ticket), write actions and rejects."""
