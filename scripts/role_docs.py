"""Write each role's README.md from its meta/argument_specs.yml.

    python3 scripts/role_docs.py          # rewrite the READMEs
    python3 scripts/role_docs.py --check  # exit 1 and name the roles whose README drifted
"""

import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES = os.path.join(ROOT, "roles")

EXAMPLE = """```yaml
- hosts: webservers
  become: true
  roles:
    - role: flaskstack.deploy.{role}
```
"""


def cell(value):
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def paragraphs(description):
    """A description as its list of paragraphs: argument specs allow a string or a list."""
    return [description] if isinstance(description, str) else list(description or [])


def default_text(spec):
    if "default" not in spec:
        return "*required*" if spec.get("required") else ""
    value = spec["default"]
    if isinstance(value, str):
        return "`%s`" % value if value else '`""`'
    return "`%s`" % yaml.safe_dump(value, default_flow_style=True).strip().replace("\n...", "")


def render(role):
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml")) as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    main = specs["main"]
    lines = [
        "# flaskstack.deploy.%s" % role,
        "",
        "<!-- Generated from meta/argument_specs.yml by scripts/role_docs.py: edit that file, then run `make docs`. -->",
        "",
        main["short_description"] + ".",
        "",
    ]
    for paragraph in paragraphs(main.get("description")):
        lines += [" ".join(paragraph.split()), ""]
    lines += ["## Variables", "", "| variable | type | default | what it changes |", "|---|---|---|---|"]
    for name, spec in sorted(main.get("options", {}).items()):
        kind = spec.get("type", "str")
        if spec.get("choices"):
            kind += " (%s)" % ", ".join(str(c) for c in spec["choices"])
        lines.append("| `%s` | %s | %s | %s |" % (name, cell(kind), cell(default_text(spec)), cell(" ".join(paragraphs(spec.get("description"))))))
    lines += ["", "## Example", "", EXAMPLE.format(role=role).rstrip("\n"), ""]
    others = sorted(name for name in specs if name != "main")
    if others:
        lines += ["## Other entry points", ""]
        lines += ["- `%s`: %s" % (name, specs[name].get("short_description", "")) for name in others]
        lines.append("")
    return "\n".join(lines)


def main(argv):
    check = "--check" in argv
    drifted = []
    for role in sorted(os.listdir(ROLES)):
        path = os.path.join(ROLES, role, "README.md")
        text = render(role)
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            drifted.append(role)
            if not check:
                with open(path, "w") as handle:
                    handle.write(text)
    if check and drifted:
        print("role README out of date with argument_specs: %s (run make docs)" % ", ".join(drifted))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
