"""The multihost checks reuse the shared helpers (Site, run_playbook, recap, LoadLoop)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tests"))
from shared_helpers import LoadLoop, Site, listeners, recap, run_playbook  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
