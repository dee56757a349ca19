#!/usr/bin/env bash
# Regenerates the macOS and Windows icons from resources/poolscope.svg. Their outputs are
# committed (resources/poolscope.icns, resources/poolscope.ico) because the machines that build
# those packages have neither tool chain: run this after changing the SVG.
#   needs: rsvg-convert (librsvg2-bin), png2icns (icnsutils), convert (imagemagick)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for size in 16 32 48 128 256 512 1024; do
    rsvg-convert -w "$size" -h "$size" "$here/resources/poolscope.svg" -o "$work/$size.png"
done
# The sizes each format holds: icns has no 48 and keeps 512 and 1024 for Retina; ico stops at 256.
png2icns "$here/resources/poolscope.icns" "$work"/{16,32,128,256,512,1024}.png >/dev/null
convert "$work"/{16,32,48,256}.png "$here/resources/poolscope.ico"
echo "wrote resources/poolscope.icns and resources/poolscope.ico"
