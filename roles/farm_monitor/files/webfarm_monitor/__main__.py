"""python3 -m webfarm_monitor --check-config FILE"""
import sys

from .config import main

sys.exit(main(sys.argv))
