import sys
from pathlib import Path

# Let ``import bench`` work however pytest is invoked.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
