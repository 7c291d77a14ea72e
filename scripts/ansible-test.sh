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

# A work tree of this command's own, at the same path every run: the
# virtualenv that --venv makes under tests/output/.tmp/delegation is kept for
# the next run (its scripts name that path), which then installs nothing
# (units alone on this 2-core machine: 43 s with a new one, 38 s with the
# kept one). The rest of the tree is this checkout's files, copied afresh.
work="${XDG_CACHE_HOME:-$HOME/.cache}/flaskstack/ansible-test/$command"
mkdir -p "$work"
exec 9>"$work.lock"
flock 9
dest="$work/ansible_collections/flaskstack/deploy"
kept="$dest/tests/output/.tmp/delegation"
if [ -d "$kept" ]; then mv "$kept" "$work/delegation"; fi
rm -rf "$work/ansible_collections"
mkdir -p "$dest"
# The files git knows, as they are in the work tree; not the checkout link.
while IFS= read -r -d '' file; do
    case "$file" in collections/*) continue ;; esac
    if [ -e "$file" ]; then cp --parents -P "$file" "$dest/"; fi
done < <(git ls-files -z --cached --others --exclude-standard)
# ansible-test reads the file list from git.
(cd "$dest" && git init -q && git add -A >/dev/null)
if [ -d "$work/delegation" ]; then
    mkdir -p "$(dirname "$kept")"
    mv "$work/delegation" "$kept"
fi

cd "$dest"
ansible-test "$command" --python "$pyver" --requirements --color no "$@"
