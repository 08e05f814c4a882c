#!/bin/sh
# comic_page.sh - a comic opened by `retreat comics` really loads in a browser.
#
#   tests/browser/comic_page.sh [RETREAT_BINARY]     (default: build/retreat)
#
# `retreat comics` with no feeds file starts its embedded comic server, opens
# every new comic through $BROWSER and keeps serving until Ctrl-C. Here
# $BROWSER is a script that only writes down the URL; then headless Chromium
# loads the first one. The page's own script copies the comic image's
# naturalWidth onto <body data-image-width=...> once everything has loaded,
# so the dumped DOM tells whether the PNG was fetched and decoded: 480 if it
# was, 0 if it is broken. Finally Ctrl-C must stop the reader cleanly.
#
# Needs the Debian package chromium. Exit status 0 pass, 1 fail, 77 skipped
# (no chromium).
set -eu

RETREAT=${1:-build/retreat}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "comic_page: SKIP: chromium is not installed (apt-get install chromium)"
    exit 77
fi
[ -x "$RETREAT" ] || { echo "comic_page: FAIL: no $RETREAT (build it first)"; exit 1; }

tmp=$(mktemp -d /tmp/retreat-browser-XXXXXX)
reader=
cleanup() {
    [ -n "$reader" ] && kill "$reader" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
    echo "comic_page: FAIL: $*"
    echo "--- retreat comics said:"; cat "$tmp/out" "$tmp/err" 2>/dev/null || true
    exit 1
}

# The "browser": appends the URL it is given to a file.
printf '#!/bin/sh\necho "$1" >> "%s/opened"\n' "$tmp" > "$tmp/browser"
chmod +x "$tmp/browser"

BROWSER="$tmp/browser" "$RETREAT" comics --port 0 --count 3 --latency 0 \
    --state "$tmp/read.txt" > "$tmp/out" 2> "$tmp/err" &
reader=$!

# Wait (at most 20 s) until it has opened the comics and serves them.
i=0
until grep -q "press Ctrl-C" "$tmp/out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 200 ] || fail "retreat comics did not start serving within 20 s"
    kill -0 "$reader" 2>/dev/null || fail "retreat comics exited early"
    sleep 0.1
done
url=$(head -n 1 "$tmp/opened")
case "$url" in
http://127.0.0.1:*/comic/*.html) ;;
*) fail "unexpected URL given to the browser: '$url'" ;;
esac

# Load it in headless Chromium; the virtual time budget lets the load event
# (and the page's script) run before the DOM is dumped.
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
    --virtual-time-budget=5000 --dump-dom "$url" > "$tmp/dom.html" 2> "$tmp/chromium.err" ||
    fail "chromium failed on $url: $(tail -n 3 "$tmp/chromium.err")"

grep -q '<img id="comic"' "$tmp/dom.html" || fail "the page has no comic image: $(head -c 300 "$tmp/dom.html")"
width=$(sed -n 's/.*data-image-width="\([0-9]*\)".*/\1/p' "$tmp/dom.html" | head -n 1)
[ -n "$width" ] || fail "the page's load script did not run (no data-image-width)"
[ "$width" -gt 0 ] || fail "the comic image did not render (naturalWidth $width)"

# Ctrl-C ends the reader, with exit status 0.
kill -INT "$reader"
status=0
wait "$reader" || status=$?
reader=
[ "$status" -eq 0 ] || fail "retreat comics exited with $status after Ctrl-C"

echo "comic_page: PASS: $url rendered its comic (naturalWidth $width) in $($CHROMIUM --version 2>/dev/null | head -n 1)"
