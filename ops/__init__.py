"""Operator tools: the ``tether`` command, ``verify``, ``deadletters``, the demo."""
