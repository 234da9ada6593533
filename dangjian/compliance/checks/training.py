"""Training and study checks (TRAIN-*): pure functions over the training facts."""
