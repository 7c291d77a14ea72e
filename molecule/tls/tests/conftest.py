"""The TLS checks reuse the shared helpers (run_playbook, recap, LoadLoop)."""

import importlib.util
import os

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tests", "conftest.py")
_spec = importlib.util.spec_from_file_location("flaskstack_shared_conftest", SHARED)
shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shared)

LoadLoop = shared.LoadLoop
Site = shared.Site
run_playbook = shared.run_playbook
recap = shared.recap
