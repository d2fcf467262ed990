"""Reports the supervising office sends up: one row per agency for a Jalali month."""
