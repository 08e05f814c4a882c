#!/bin/sh
# blur_disk.sh - `retreat blur` against a full disk and an unwritable folder.
#
#     tests/fault/blur_disk.sh RETREAT WORK_DIR
#
# Each case breaks the output side of a run and checks what the user is left
# with: a non-zero exit, a message naming the file and the reason, and no file
# under an output's real name that is not a whole image (tests/fault/
# decodes.py); a temporary file left behind is a failure too, since nothing
# was killed here. The cases:
#
#   fsize     a file-size limit (ulimit -f) with SIGXFSZ ignored, so write(2)
#             fails with EFBIG the way it fails with ENOSPC on a full disk;
#   tmpfs     a real full disk: a 64 KiB tmpfs (needs mount, so root; skipped
#             with a message otherwise);
#   readonly  an output folder the user cannot write to (as root, the run is
#             made as user nobody, since root ignores permissions);
#   notdir    -o naming an existing file instead of a folder.
#
# Exit status: 0 if every case that ran passed, 1 otherwise.
set -u
RETREAT=$(realpath "$1")
WORK=$2
HERE=$(dirname "$0")
TOP=$(realpath "$HERE/../..")
DECODES="/usr/bin/python3 $HERE/decodes.py"
failed=0
passed=0

rm -rf "$WORK" && mkdir -p "$WORK/in" || exit 1
chmod 755 "$WORK" "$WORK/in"
# Three photos (a few hundred KiB of output each), readable by anyone.
cp "$TOP/workshop/images/chelsea.png" "$TOP/workshop/images/coffee.png" \
   "$TOP/workshop/images/rocket.jpg" "$WORK/in/" || exit 1
chmod 644 "$WORK/in/"*
INPUTS="$WORK/in/chelsea.png $WORK/in/coffee.png $WORK/in/rocket.jpg"

pass() { echo "  pass: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }

# check CASE OUT_DIR STATUS LOG WORD: the common verdict of a broken run.
check() {
    name=$1 out=$2 status=$3 log=$4 word=$5
    if [ "$status" -eq 0 ]; then
        fail "$name: exit status 0 although outputs could not be written"; return
    fi
    if [ "$status" -gt 128 ]; then
        fail "$name: killed by signal $((status - 128)) instead of reporting an error"; return
    fi
    if ! grep -q "$word" "$log"; then
        fail "$name: no message saying '$word'; stderr was:"; sed 's/^/    /' "$log"; return
    fi
    if ! grep -q 'retreat blur: .*\(chelsea\|coffee\|rocket\)' "$log"; then
        fail "$name: the message does not name the file:"; sed 's/^/    /' "$log"; return
    fi
    if [ -d "$out" ]; then
        $DECODES "$out" > "$WORK/$name.decodes" 2>&1
        if [ $? -ne 0 ] || grep -q '^leftover' "$WORK/$name.decodes"; then
            fail "$name: a broken or temporary file was left in $out:"
            sed 's/^/    /' "$WORK/$name.decodes"; return
        fi
    fi
    pass "$name: exit $status, '$(grep -m1 "$word" "$log" | cut -c1-110)'"
}

# --- fsize: EFBIG from a file-size limit --------------------------------------
# 100 KiB: big enough for the smallest output, too small for the others.
out="$WORK/out-fsize"
(trap '' XFSZ; ulimit -f 100; exec "$RETREAT" blur --style pool --threads 2 -o "$out" $INPUTS) \
    > "$WORK/fsize.out" 2> "$WORK/fsize.log"
check fsize "$out" $? "$WORK/fsize.log" "File too large"

# --- tmpfs: ENOSPC on a real, small file system -------------------------------
mnt="$WORK/mnt"
mkdir -p "$mnt"
if mount -t tmpfs -o size=64k,mode=0777 retreat-fault "$mnt" 2>/dev/null; then
    "$RETREAT" blur --style linear -o "$mnt/out" $INPUTS > "$WORK/tmpfs.out" 2> "$WORK/tmpfs.log"
    check tmpfs "$mnt/out" $? "$WORK/tmpfs.log" "No space left on device"
    umount "$mnt"
else
    echo "  skip: tmpfs: cannot mount a tmpfs here (not root?); the fsize case covers write errors"
fi

# --- readonly: a folder the user may not write into ---------------------------
# As root the run is made as user nobody, who must be able to reach the
# program, the inputs and the folder: the work tree may sit below a folder
# only root can enter (a clone in a mktemp -d), so this case gets its own
# world-readable corner of /tmp.
ro=$(mktemp -d /tmp/retreat-readonly.XXXXXX) || exit 1
chmod 755 "$ro" && cp "$RETREAT" "$ro/retreat" && cp $INPUTS "$ro/" && chmod 644 "$ro"/*.png "$ro"/*.jpg
out="$ro/out"
mkdir -p "$out" && chmod 555 "$out"
if [ "$(id -u)" -eq 0 ]; then
    as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
    as_user=""
fi
$as_user "$ro/retreat" blur --style threads -o "$out" "$ro/chelsea.png" "$ro/coffee.png" \
    "$ro/rocket.jpg" > "$WORK/readonly.out" 2> "$WORK/readonly.log"
check readonly "$out" $? "$WORK/readonly.log" "Permission denied"
rm -rf "$ro"

# --- notdir: -o names a file ----------------------------------------------------
out="$WORK/out-notdir"
echo "not a folder" > "$out"
"$RETREAT" blur -o "$out" $INPUTS > "$WORK/notdir.out" 2> "$WORK/notdir.log"
status=$?
if [ $status -ne 0 ] && [ $status -lt 128 ] && grep -q "out-notdir" "$WORK/notdir.log" &&
   [ "$(cat "$out")" = "not a folder" ]; then
    pass "notdir: exit $status, '$(head -n1 "$WORK/notdir.log" | cut -c1-110)'"
else
    fail "notdir: exit $status, the file was changed or the message does not name it:"
    sed 's/^/    /' "$WORK/notdir.log"
fi

echo "blur_disk: $passed passed, $failed failed"
[ $failed -eq 0 ]
