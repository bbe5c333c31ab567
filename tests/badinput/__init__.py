"""The bad-input corpus (issue 5): every kind of bad record and response, once."""
