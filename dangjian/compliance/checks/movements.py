"""Member movement checks (MEM-*): pure functions over the movement facts (dangjian.movements.facts)."""
