#!/usr/bin/python3
"""opencv_check.py - cross-checks retreat's reference blur against OpenCV.

blur_gauss() (src/core/blur.c, the oracle every blur exercise is graded against)
promises a Gaussian with radius ceil(3 sigma), weights normalised to 1, and
borders clamped to the edge. OpenCV's GaussianBlur with the same kernel size
and BORDER_REPLICATE computes the same thing, independently written, in
fixed-point arithmetic. If the two ever differ by more than one level on a
sample, one of them is not the Gaussian it claims to be.

Both are fed the very same pixels: each workshop photo is decoded once (by
OpenCV) and written as a lossless PNG, because two JPEG decoders may disagree
by a level or two before any blurring happens.

    /usr/bin/python3 tests/opencv_check.py [--blurtime build/bench/blurtime]

Needs the timing tool built first (`make bench-tools`) and OpenCV's Python
module (Debian: python3-opencv; use /usr/bin/python3, which has it). Exits 0
if every photo at every sigma is within MAX_DIFF, 1 if not, 2 if it could not
run at all.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

try:
    import cv2
    import numpy as np
except ImportError as e:
    sys.exit(f"opencv_check: {e}: install python3-opencv and run with /usr/bin/python3")

MAX_DIFF = 1  # levels: fixed point versus float rounds a few samples the other way
SIGMAS = (1.0, 2.5, 5.0, 10.0)


def retreat_blur(blurtime, png, sigma, out):
    """Runs blur_gauss() on png through the blurtime tool, returns the result."""
    cmd = [blurtime, "gauss", png, str(sigma), "1", "1", out]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {run.stderr.strip()}")
    return cv2.imread(out, cv2.IMREAD_UNCHANGED)


def opencv_blur(img, sigma):
    r = int(np.ceil(3 * sigma))
    return cv2.GaussianBlur(img, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REPLICATE)


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blurtime", default=os.path.join(top, "build", "bench", "blurtime"),
                    help="the timing tool (default: build/bench/blurtime)")
    ap.add_argument("photos", nargs="*", help="images (default: workshop/images/*)")
    args = ap.parse_args()
    if not os.access(args.blurtime, os.X_OK):
        sys.exit(f"opencv_check: {args.blurtime}: not found; build it with `make bench-tools`")
    photos = args.photos or sorted(
        glob.glob(os.path.join(top, "workshop", "images", "*.png")) +
        glob.glob(os.path.join(top, "workshop", "images", "*.jp*g")))
    if not photos:
        sys.exit("opencv_check: no photos to check")

    failures = 0
    print(f"{'photo':<24} {'sigma':>5} {'max |diff|':>10} {'samples off':>12}  verdict")
    with tempfile.TemporaryDirectory(prefix="retreat-opencv-") as tmp:
        for path in photos:
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                print(f"opencv_check: {path}: OpenCV cannot read it", file=sys.stderr)
                failures += 1
                continue
            png = os.path.join(tmp, "input.png")
            cv2.imwrite(png, img)
            img = cv2.imread(png, cv2.IMREAD_UNCHANGED)  # exactly what blurtime reads
            for sigma in SIGMAS:
                ours = retreat_blur(args.blurtime, png, sigma, os.path.join(tmp, "ours.png"))
                theirs = opencv_blur(img, sigma)
                if ours is None or ours.shape != theirs.shape:
                    print(f"opencv_check: {path} at sigma {sigma}: shapes differ", file=sys.stderr)
                    failures += 1
                    continue
                diff = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
                worst, off = int(diff.max()), int(np.count_nonzero(diff))
                ok = worst <= MAX_DIFF
                failures += not ok
                print(f"{os.path.basename(path):<24} {sigma:>5} {worst:>10} {off:>12}  "
                      f"{'ok' if ok else f'FAIL (more than {MAX_DIFF})'}")
    if failures:
        print(f"opencv_check: {failures} check(s) failed: blur_gauss() and OpenCV disagree")
        return 1
    print(f"opencv_check: blur_gauss() matches OpenCV within {MAX_DIFF} everywhere")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        sys.exit(f"opencv_check: {e}")
