"""Run amish's own test suite with the proposed changes of bench/prototype/ applied.

    .venv/bin/python bench/prototype/run_tests.py [pytest args]   (default: tests/test_protocol.py tests/test_connection_faults.py)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.chdir(ROOT)

import prototype.fastframe  # noqa: E402,F401
import prototype.fastget  # noqa: E402,F401
import pytest  # noqa: E402

sys.exit(pytest.main(sys.argv[1:] or ["-q", "-p", "no:cacheprovider", "tests/test_protocol.py", "tests/test_connection_faults.py"]))
