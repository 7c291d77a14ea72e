"""Stand-in for ansible-test's pip bootstrap script.

ansible-test downloads get-pip.py from a host that machines without general
internet access cannot reach, and documents saving the script into its cache
by hand instead. This script does the same job with what every CPython has:
it bootstraps pip with ensurepip, then lets that pip install the exact
packages ansible-test asked for (pip==<version>) from the package index.
"""

import subprocess
import sys

# Options that only get-pip.py itself understands.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args))
