#!/usr/bin/env python3
"""check_layers.py - no arrow points back up: every #include obeys the layers.

retreat is built in four layers (docs/ARCHITECTURE.md, "Layers"):

    src/cli/      the retreat command and the style tables    may use all below
    src/tools/    grader, comic server, stream, class, ...     may use core
    solutions/    the styles of the ladder (and exercises/)   may use core
    src/core/     images, blur, run log, batch, fetch          may use core

The Makefile already compiles each layer with only the include paths it may
use, so most wrong arrows do not even compile. This check reads the
#include "..." lines themselves, so that the rule is stated once, in a form
a reviewer can read, and holds for headers too (a header is only compiled
when someone includes it). It prints every offending line and exits 1, or
prints one line and exits 0.

    python3 tests/layers/check_layers.py [ROOT]
"""
import os
import re
import sys

# Layer -> the layers its files may include from (itself included).
ALLOWED = {
    "core": {"core"},
    "solutions": {"core", "solutions"},
    "tools": {"core", "tools"},
    "cli": {"core", "solutions", "tools", "cli"},
}
# Where each layer's files live; exercises/ implement the solutions' layer.
FOLDERS = [
    ("src/core", "core"),
    ("src/tools", "tools"),
    ("src/cli", "cli"),
    ("solutions", "solutions"),
    ("exercises", "solutions"),
]
# Where a header named in quotes is looked for, as the compiler would: the
# including file's own folder first, then these.
HEADER_HOMES = [("src/core", "core"), ("solutions", "solutions"),
                ("src/tools", "tools"), ("src/cli", "cli")]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    for folder, layer in FOLDERS:
        if path == folder or path.startswith(folder + "/"):
            return layer
    return None


def header_layer(root, including, name):
    here = os.path.dirname(including)
    if os.path.isfile(os.path.join(root, here, name)):
        return layer_of(os.path.join(here, name))
    for folder, layer in HEADER_HOMES:
        if os.path.isfile(os.path.join(root, folder, name)):
            return layer
    return None


def sources(root):
    for folder, _ in FOLDERS:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    problems, files, includes = [], 0, 0
    for path in sources(root):
        files += 1
        layer = layer_of(path)
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                includes += 1
                target = header_layer(root, path, m.group(1))
                if target is None:
                    problems.append(f'{path}:{number}: "{m.group(1)}" is in no layer '
                                    "(a project header belongs in src/core, src/tools, "
                                    "src/cli or solutions)")
                elif target not in ALLOWED[layer]:
                    problems.append(f'{path}:{number}: {layer} includes "{m.group(1)}" '
                                    f"from {target}: {layer} may use only "
                                    f"{', '.join(sorted(ALLOWED[layer]))}")
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} include(s) break the layering rule "
              "(docs/ARCHITECTURE.md, Layers)")
        return 1
    print(f"check-layers: {includes} includes in {files} files, none points back up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
