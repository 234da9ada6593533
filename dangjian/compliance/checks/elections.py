"""换届选举 checks (ORG-TERM-REMINDER, ELECT-*): pure functions over the elections facts."""
