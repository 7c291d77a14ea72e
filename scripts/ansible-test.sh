#!/usr/bin/env bash
# Run ansible-test (sanity or units) on a copy of this checkout placed where
# ansible-test needs it: <tmp>/ansible_collections/flaskstack/deploy.
#
#   scripts/ansible-test.sh sanity|units [ansible-test options]
set -euo pipefail
cd "$(dirname "$0")/.."
command="${1:?usage: ansible-test.sh sanity|units [options]}"
shift

python=$(command -v python3)
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip in its venvs from a download host that is not
# reachable everywhere; it documents pre-seeding its cache instead.
pip_version=$("$python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
class Python:
    version = None
print(get_venv_packages(Python())["pip"])
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    cp scripts/get-pip-standin.py "$cache"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/flaskstack/deploy"
mkdir -p "$dest"
# The files git knows, as they are in the work tree; not the checkout link.
while IFS= read -r -d '' file; do
    case "$file" in collections/*) continue ;; esac
    if [ -e "$file" ]; then cp --parents -P "$file" "$dest/"; fi
done < <(git ls-files -z --cached --others --exclude-standard)
# ansible-test reads the file list from git.
(cd "$dest" && git init -q && git add -A >/dev/null)

cd "$dest"
ansible-test "$command" --python "$pyver" --requirements --color no "$@"
