"""Business time: a calendar (IANA zone, weekly opening hours, holidays from `holidays`) counts
open seconds between instants and finds the instant a target falls due. Pure functions of time."""
