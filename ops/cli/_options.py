"""Options several commands share, declared once so they read the same everywhere."""

from __future__ import annotations

import argparse


def add_json(parser: argparse.ArgumentParser) -> None:
    """``--json``: machine-readable output."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_app_id(parser: argparse.ArgumentParser) -> None:
    """``--app-id``: the deployment (default: ``TETHER_APP_ID``)."""
    parser.add_argument(
        "--app-id", metavar="ID", help="the deployment (default: TETHER_APP_ID)"
    )
