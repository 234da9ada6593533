"""谈心谈话 checks (TALK-*): pure functions over the talks facts."""
