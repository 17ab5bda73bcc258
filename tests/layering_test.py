#!/usr/bin/env python3
"""Checks that each layer under src/ includes only itself and the layers below it
(docs/architecture.md). Exits non-zero and names every offending #include."""
import pathlib
import re
import sys

ALLOWED = {
    "base": set(),
    "crypto": {"base"},
    "env": {"base"},
    "meta": {"base", "env"},
    "blocks": {"base", "crypto", "env", "meta"},
    "iam": {"base", "crypto", "env", "meta"},
    "kms": {"base", "crypto", "env", "meta", "iam"},
    "client": {"base", "crypto"},
    "tools": {"base", "crypto", "client"},
    "ec2": {"base", "crypto", "env", "meta", "blocks", "iam", "kms"},
    "api": {"base", "crypto", "env", "meta", "blocks", "iam", "kms", "ec2", "client"},
    "net": {"base", "crypto", "env", "meta", "blocks", "iam", "kms", "ec2", "client", "api"},
    "cmd": {"base", "crypto", "env", "meta", "blocks", "iam", "kms", "ec2", "client", "tools", "api", "net"},
}

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent / "src")
include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
problems = []
checked = 0
for path in sorted(src.rglob("*")):
    if path.suffix not in {".h", ".cc"}:
        continue
    layer = path.relative_to(src).parts[0]
    if layer not in ALLOWED:
        problems.append(f"{path}: folder '{layer}' is not a known layer")
        continue
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line)
        if m and m.group(1) != layer and m.group(1) not in ALLOWED[layer]:
            problems.append(f"{path}:{number}: layer '{layer}' may not include '{m.group(1)}/'")
    checked += 1
for p in problems:
    print(p)
print(f"layering: {checked} files checked, {len(problems)} problems")
sys.exit(1 if problems or checked == 0 else 0)
