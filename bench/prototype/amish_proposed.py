"""`amish` with every change proposed in bench/prototype/ applied (for the bench's "proposed" rows)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import prototype.fastframe  # noqa: E402,F401
import prototype.fastget  # noqa: E402,F401
import prototype.longline  # noqa: E402,F401
import prototype.shell  # noqa: E402,F401
from amish.cli import main  # noqa: E402

sys.exit(main())
