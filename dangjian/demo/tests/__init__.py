import datetime as dt

# The reference day of the demo tests' expected figures: the seed is dated from it (never from the real date).
TODAY = dt.date(2026, 11, 1)
