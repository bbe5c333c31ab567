"""``tether check``: every setting, system and the broker, checked without writing."""
