"""The shared conftest's helpers, for scenarios with their own tests directory.

pytest loads molecule/shared/tests/conftest.py only for tests next to it; a
scenario with its own tests (tls, multihost) imports the helpers from here:

    sys.path.insert(0, <this directory>)
    from shared_helpers import LoadLoop, Site, listeners, recap, run_playbook
"""

import importlib.util
import os

_SPEC = importlib.util.spec_from_file_location(
    "flaskstack_shared_conftest", os.path.join(os.path.dirname(os.path.abspath(__file__)), "conftest.py"))
_SHARED = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_SHARED)

LoadLoop = _SHARED.LoadLoop
Site = _SHARED.Site
run_playbook = _SHARED.run_playbook
recap = _SHARED.recap
listeners = _SHARED.listeners
