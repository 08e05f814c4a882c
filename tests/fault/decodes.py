#!/usr/bin/python3
"""decodes.py - does every image in a folder decode completely?

Used by the fault tests after they have broken a run of `retreat blur` (full
disk, signals): an output that exists under its real name must be a whole
image, never a prefix of one. OpenCV does the decoding (an independent
decoder, not the stb_image that wrote the files), and because libjpeg still
returns a picture for a truncated JPEG, the format's end marker is checked
too (PNG: the IEND chunk; JPEG: the EOI marker).

    decodes.py DIR

Prints one line per file: "ok NAME", "corrupt NAME: why", or "leftover NAME"
for a temporary file (NAME.tmp.XXXXXX) that a killed process could not
remove. Exit status: 0 if no file is corrupt, 1 otherwise.
"""
import os
import sys

import cv2
import numpy as np


def check(path):
    """Returns None if the image at path is whole, else the reason."""
    with open(path, "rb") as f:
        data = f.read()
    lower = path.lower()
    if lower.endswith(".png") and not data.endswith(b"IEND\xaeB`\x82"):
        return "no IEND chunk at the end: the PNG is cut short"
    if (lower.endswith(".jpg") or lower.endswith(".jpeg")) and not data.endswith(b"\xff\xd9"):
        return "no EOI marker at the end: the JPEG is cut short"
    im = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if im is None:
        return "OpenCV cannot decode it"
    return None


def main():
    folder = sys.argv[1]
    corrupt = 0
    for name in sorted(os.listdir(folder)):
        if ".tmp." in name:
            print("leftover", name)
            continue
        why = check(os.path.join(folder, name))
        if why is None:
            print("ok", name)
        else:
            print("corrupt %s: %s" % (name, why))
            corrupt += 1
    return 1 if corrupt else 0


if __name__ == "__main__":
    sys.exit(main())
