#!/bin/sh
# class_page.sh - the class's projector page shows the class, in a real browser.
#
#   tests/browser/class_page.sh [RETREAT_BINARY]     (default: build/retreat)
#
# Starts `retreat class --port 0` on a scratch database, posts three
# participants' cards with curl (ann passes 05-pool with a speedup, bob
# passes it and fails 06-rows with a data race, cy only fails), then loads
# the join URL in headless Chromium. The page draws everything from its own
# script (api/state), so the dumped DOM shows names and marks only if the
# script ran: that is what is checked, with <body data-rendered="N"> (N >= 1).
# Then the refusals: a foreign token on ann's name, an oversized body and a
# wrong code must be refused and leave the page's data as it was. Last, a
# restart on the same database keeps the URL and the runs.
#
# Needs the Debian packages chromium and curl. Exit status 0 pass, 1 fail,
# 77 skipped (no chromium).
set -eu

RETREAT=${1:-build/retreat}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "class_page: SKIP: chromium is not installed (apt-get install chromium)"
    exit 77
fi
[ -x "$RETREAT" ] || { echo "class_page: FAIL: no $RETREAT (build it first)"; exit 1; }

tmp=$(mktemp -d /tmp/retreat-class-page-XXXXXX)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
    echo "class_page: FAIL: $*"
    echo "--- retreat class said:"; cat "$tmp/out" "$tmp/err" 2>/dev/null || true
    exit 1
}

# Starts the server on port $1 (0: any) and sets $url once it prints it.
start() {
    : > "$tmp/out"
    "$RETREAT" class --port "$1" --db "$tmp/class.db" > "$tmp/out" 2> "$tmp/err" &
    server=$!
    i=0
    until grep -q "press Ctrl-C" "$tmp/out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 200 ] || fail "retreat class did not start within 20 s"
        kill -0 "$server" 2>/dev/null || fail "retreat class exited early"
        sleep 0.1
    done
    url=$(sed -n 's/^join: make join //p' "$tmp/out")
    case "$url" in
    http://127.0.0.1:*/c/*/) ;;
    *) fail "unexpected join line: $(head -n 1 "$tmp/out")" ;;
    esac
}

stop() {
    kill -INT "$server"
    status=0
    wait "$server" || status=$?
    server=
    [ "$status" -eq 0 ] || fail "retreat class exited with $status after Ctrl-C"
}

token() { printf "%064d" 0 | tr 0 "$1"; }

# post NAME TOKEN_DIGIT EXERCISE CHECKS [EXTRA] -> HTTP status on stdout
post() {
    printf '{"name":"%s","token":"%s","exercise":"%s","checks":[%s]%s}' \
        "$1" "$(token "$2")" "$3" "$4" "${5:-}" > "$tmp/body"
    curl -s -o "$tmp/reply" -w '%{http_code}' --data-binary @"$tmp/body" "${url}api/upload"
}

pass='{"check":"correct","mark":"pass","text":"ok"}'
race='{"check":"races","mark":"fail","text":"data race: write in worker() at rows.c:40 (thread T2) and earlier read in worker() at rows.c:38 (thread T1)"}'

start 0
[ "$(post ann a 05-pool "$pass" ',"speedup":1.92')" = 201 ] || fail "ann's card: $(cat "$tmp/reply")"
[ "$(post bob b 05-pool "$pass" ',"speedup":1.40')" = 201 ] || fail "bob's card: $(cat "$tmp/reply")"
[ "$(post bob b 06-rows "$pass,$race" ',"accesses":[{"what":"write","where":"worker()","file":"rows.c","line":40,"source":"    done++;"}]')" = 201 ] ||
    fail "bob's race: $(cat "$tmp/reply")"
[ "$(post cy c 05-pool '{"check":"correct","mark":"fail","text":"pixel (3,4) differs"}')" = 201 ] ||
    fail "cy's card: $(cat "$tmp/reply")"

# Refused, and nothing changes: a foreign token on ann's name, too big, wrong code.
[ "$(post ann f 06-rows "$pass")" = 409 ] || fail "a foreign token was not refused with 409"
grep -q "the name ann is taken" "$tmp/reply" || fail "409 without the reason: $(cat "$tmp/reply")"
head -c 600000 /dev/zero | tr '\0' ' ' > "$tmp/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$tmp/big" "${url}api/upload")
[ "$code" = 413 ] || fail "an oversized upload got $code, not 413"
wrong=$(printf '%s' "$url" | sed 's|/c/[0-9a-f]*/|/c/00000000000000000000000000000000/|')
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$tmp/body" "${wrong}api/upload")
[ "$code" = 404 ] || fail "a wrong class code got $code, not 404"

# The page, after its script has fetched the state and drawn it.
load() {
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
        --virtual-time-budget=5000 --dump-dom "$url" > "$tmp/dom.html" 2> "$tmp/chromium.err" ||
        fail "chromium failed on $url: $(tail -n 3 "$tmp/chromium.err")"
    rendered=$(sed -n 's/.*<body data-rendered="\([0-9]*\)".*/\1/p' "$tmp/dom.html" | head -n 1)
    [ -n "$rendered" ] && [ "$rendered" -ge 1 ] ||
        fail "the page's script did not draw the state: $(head -c 400 "$tmp/dom.html")"
    for want in '<td>ann</td>' '<td>bob</td>' '<td>cy</td>' '1.92x' '05-pool' \
        '<td class="pass">✓</td>' '<td class="fail">✗</td>' 'data race: write' \
        'api/run/3/trace.json' '3 participants'; do
        grep -qF "$want" "$tmp/dom.html" || fail "the page lacks '$want'"
    done
    # ann leads: most passed, then the best speedup.
    board=$(sed 's/<tr>/\n<tr>/g' "$tmp/dom.html" | grep -m 1 -F '<td>1</td><td>ann</td>') ||
        fail "ann is not first on the leaderboard"
}
load
first=$url
stop

# A restart on the same database: the same join URL (its port asked for
# again), every run still there.
port=$(printf '%s' "$first" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
start "$port"
[ "$url" = "$first" ] || fail "the join URL changed on restart: $first -> $url"
load
stop
echo "class_page: PASS (3 participants on the page in Chromium; 409, 413, 404 refused; restart kept all)"
