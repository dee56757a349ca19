#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# README's code for embedders is the examples' code: each block README marks with
#   <!-- snippet: examples/FILE#NAME -->
# must equal, line for line, the region of examples/FILE between `// [snippet:NAME]` and
# `// [/snippet]` (less the markers' indentation). The examples are compiled and run by their
# own tests, so README's snippets compile and work; and no unmarked C++ block may appear in the
# "Embedding poolcore" section, where it would escape this check.
#
#   readme_snippets.sh SOURCE_DIR
set -euo pipefail
root=$(cd "$1" && pwd)
readme=$root/README.md
work=$(mktemp -d /tmp/readme-snippets.XXXXXX)
trap 'rm -rf "$work"' EXIT

# README's marked blocks, one file each, and the list of what they name.
awk -v out="$work" '
    match($0, /^<!-- snippet: [^ ]+ -->$/) {
        spec = substr($0, 15, length($0) - 18); n++
        print spec > (out "/specs"); want_fence = 1; next
    }
    want_fence { if ($0 != "```cpp") { print "snippet " spec ": no ```cpp block right after its marker" > "/dev/stderr"; exit 1 }
                 want_fence = 0; inside = 1; printf "" > (out "/readme." n); next }
    inside && $0 == "```" { inside = 0; next }
    inside { print >> (out "/readme." n) }
' "$readme"
[ -s "$work/specs" ] || { echo "FAIL: README marks no snippet" >&2; exit 1; }

# Every C++ block of "## Embedding poolcore" (up to the next "## ") is marked.
unmarked=$(awk '
    /^## / { section = ($0 == "## Embedding poolcore") }
    section && $0 == "```cpp" && previous !~ /^<!-- snippet: / { print NR }
    { previous = $0 }
' "$readme")
[ -z "$unmarked" ] || { echo "FAIL: README line(s) $unmarked: a C++ block without a snippet marker" >&2; exit 1; }

status=0
n=0
while read -r spec; do
    n=$((n + 1))
    file=${spec%%#*}
    name=${spec#*#}
    [ -f "$root/$file" ] || { echo "FAIL: snippet $spec: no file $file" >&2; status=1; continue; }
    awk -v name="$name" '
        index($0, "// [snippet:" name "]") { inside = 1; match($0, /^ */); indent = RLENGTH; found = 1; next }
        inside && index($0, "// [/snippet]") { inside = 0; next }
        inside { print (substr($0, 1, indent) ~ /^ *$/ ? substr($0, indent + 1) : $0) }
        END { if (!found) exit 1 }
    ' "$root/$file" >"$work/example.$n" ||
        { echo "FAIL: snippet $spec: $file has no [snippet:$name] region" >&2; status=1; continue; }
    if diff -u --label "$file#$name" --label "README.md" "$work/example.$n" "$work/readme.$n"; then
        echo "ok: $spec ($(wc -l <"$work/example.$n") lines)"
    else
        echo "FAIL: README's snippet $spec differs from the example (above: - example, + README)" >&2
        status=1
    fi
done <"$work/specs"
exit $status
