import sys
from pathlib import Path

# sim_cases.py is shared by the tests of this folder and run as a script by them
sys.path.insert(0, str(Path(__file__).resolve().parent))
