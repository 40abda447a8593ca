"""What the C driver tests share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The C reference drivers.
C_DRIVERS = ROOT / "reference" / "drivers" / "c"
