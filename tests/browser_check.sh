#!/bin/sh
# Opens a report.html in headless Chromium with the network cut off, checks that the page loads
# and that every <img> decoded, and saves a full-page screenshot to look at.
# Usage: tests/browser_check.sh REPORT.html [SCREENSHOT.png]   (default: REPORT.png)
# Installs Debian's chromium with apt-get when it is missing (as root). Exit 0 when all is well.
set -eu

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
    exit 2
fi
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shot=${2:-${file%.html}.png}

browser=
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "browser_check: installing chromium" >&2
        apt-get install -y chromium >/dev/null
        browser=chromium
    else
        echo "browser_check: no chromium; run: sudo apt-get install -y chromium" >&2
        exit 2
    fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Every resource must be inside the file: resolving any host fails, so an external image or
# style sheet would show up as an image that did not decode (or a missing style).
run() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-extensions \
        --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$tmp/profile" "$@" \
        2>>"$tmp/browser.log"
}

# The report has no script; a copy gets a probe that, once everything has loaded, records how
# many images there are, how many decoded, and the page height for the screenshot.
cp "$file" "$tmp/page.html"
cat >>"$tmp/page.html" <<'EOF'
<script>
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++)
    if (imgs[i].complete && imgs[i].naturalWidth > 0 && imgs[i].naturalHeight > 0) ok++;
  var root = document.documentElement;
  root.setAttribute('data-images', imgs.length);
  root.setAttribute('data-decoded', ok);
  root.setAttribute('data-height', Math.ceil(root.scrollHeight));
});
</script>
EOF

# The same width as the screenshot, so that the measured height is the screenshot's.
if ! run --window-size=1280,2000 --virtual-time-budget=10000 --dump-dom "file://$tmp/page.html" \
    >"$tmp/dom.html"; then
    echo "browser_check: $browser failed:" >&2
    tail -20 "$tmp/browser.log" >&2
    exit 1
fi

attr() { sed -n "s/.*<html[^>]* $1=\"\([0-9]*\)\".*/\1/p" "$tmp/dom.html" | head -1; }
images=$(attr data-images)
decoded=$(attr data-decoded)
height=$(attr data-height)
expected=$(grep -o '<img ' "$file" | wc -l | tr -d ' ')

fail=0
if [ -z "$images" ]; then
    echo "browser_check: FAIL: the page did not finish loading (no probe result)" >&2
    tail -20 "$tmp/browser.log" >&2
    exit 1
fi
if ! grep -q '<h1>' "$tmp/dom.html"; then
    echo "browser_check: FAIL: no <h1> in the rendered page" >&2
    fail=1
fi
if [ "$images" != "$expected" ]; then
    echo "browser_check: FAIL: the browser saw $images images, the file has $expected" >&2
    fail=1
fi
if [ "$decoded" != "$images" ]; then
    echo "browser_check: FAIL: $decoded of $images images decoded" >&2
    fail=1
fi

# A window as tall as the page captures all of it; capped, since Chromium refuses huge ones.
[ "${height:-0}" -gt 0 ] || height=2000
[ "$height" -le 16000 ] || height=16000
if ! run --hide-scrollbars --window-size="1280,$height" --screenshot="$shot" "file://$file" \
    >/dev/null || [ ! -s "$shot" ]; then
    echo "browser_check: FAIL: no screenshot" >&2
    tail -20 "$tmp/browser.log" >&2
    exit 1
fi

echo "browser_check: $(basename "$file"): loaded, $decoded/$images images decoded," \
    "page ${height}px tall; screenshot $shot"
exit $fail
