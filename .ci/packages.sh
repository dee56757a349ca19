#!/usr/bin/env bash
# CI: the Linux packages, built and checked as a distribution would, then installed, used and
# purged on this machine (a fresh Debian 12, as root: it installs with apt-get).
#
#   bash .ci/packages.sh
#
# 1. builds two Release trees with dpkg-buildflags' hardening (fortify, stack protector,
#    relro/now): the desktop app and the headless-only build, and packs each (.deb and .rpm);
# 2. lintian --pedantic (failing on any tag not overridden), rpmlint (failing on errors),
#    appstreamcli validate --pedantic and desktop-file-validate (failing on errors);
# 3. installs poolscope_*.deb with apt-get, runs the installed poolscope --version, a headless
#    job on each start method (spawn on the installed /usr/libexec/poolscope/poolscope-worker),
#    the GUI offscreen for a moment, bash completion, and the libpoolcore-dev consumer hook;
# 4. purges it and checks every file it installed is gone; then the same, shorter, for
#    poolscope-headless_*.deb.
#
# BUILD_ROOT (default: build-packages) holds the two build trees and the packages (packages/).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build_root=${BUILD_ROOT:-$here/build-packages}
out=$build_root/packages
worker=/usr/libexec/poolscope/poolscope-worker
SECONDS=0

step() { echo "== $*"; }
fail() {
    echo "packages.sh: FAILED: $*" >&2
    exit 1
}

# --- What the build and the checks need -------------------------------------------------------
source "$here/scripts/packages.sh"
tool_packages=(
    dpkg-dev lintian help2man librsvg2-bin gzip rpm rpmlint appstream desktop-file-utils
    bash-completion ccache
)
install_missing_packages "${poolscope_packages[@]}" "${tool_packages[@]}"

# Whatever happens below, no poolscope stays installed on this machine.
installed_here=()
purge_installed() {
    for p in "${installed_here[@]}"; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
            DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$p" >/dev/null || true
        fi
    done
}
trap purge_installed EXIT

# --- 1. Build and pack ------------------------------------------------------------------------
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
hardened_cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
hardened_ldflags=$(dpkg-buildflags --get LDFLAGS)
# The two trees compile poolcore, the worker, the command line and the Celery source with the
# same flags: the second takes them from the first through ccache.
export CCACHE_DIR=${CCACHE_DIR:-$build_root/ccache} CCACHE_BASEDIR=$here CCACHE_NOHASHDIR=1
rm -rf "$out"
mkdir -p "$out"
for variant in gui headless; do
    dir=$build_root/$variant
    gui=ON
    [ $variant = headless ] && gui=OFF
    step "building the $variant packages in $dir"
    # Prefix /usr at configure time, so GNUInstallDirs gives Debian's multiarch libdir
    # (lib/x86_64-linux-gnu), where lintian expects an architecture's pkg-config file.
    cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
        -DPOOLSCOPE_BUILD_GUI=$gui -DPOOLSCOPE_BUILD_TESTS=OFF -DPOOLSCOPE_BUILD_BENCH=OFF \
        -DPOOLSCOPE_PACKAGE_TOOLS_REQUIRED=ON -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
        -DCMAKE_CXX_FLAGS="$hardened_cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$hardened_ldflags" \
        >/dev/null
    cmake --build "$dir" --parallel "$(nproc)" >"$dir/build.log" 2>&1 ||
        { tail -40 "$dir/build.log"; fail "the $variant build"; }
    grep -q "warning:" "$dir/build.log" && { grep "warning:" "$dir/build.log"; fail "warnings"; }
    (cd "$dir" && rm -f ./*.deb ./*.rpm && cpack >cpack.log 2>&1) ||
        { tail -40 "$dir/cpack.log"; fail "cpack ($variant)"; }
    cp "$dir"/*.deb "$dir"/*.rpm "$out"/
done
cd "$out"
ls -l
app_deb=$(ls poolscope_*.deb)
headless_deb=$(ls poolscope-headless_*.deb)

# The headless package has nothing of a desktop.
if dpkg-deb -c "$headless_deb" | grep -E 'share/(applications|metainfo|icons)/'; then
    fail "$headless_deb ships desktop files"
fi

# --- 2. What a distribution would check -------------------------------------------------------
step "lintian --pedantic"
lintian --pedantic --display-experimental --fail-on error,warning,info,pedantic ./*.deb ||
    fail "lintian"
step "rpmlint"
rpmlint --config "$here/packaging/rpmlint.toml" ./*.rpm || fail "rpmlint"

# --- 3. Installed and used --------------------------------------------------------------------
step "apt-get install ./$app_deb"
installed_here+=(poolscope poolscope-headless libpoolcore-dev)
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$app_deb" >/dev/null
dpkg -L poolscope | sort >"$build_root/installed-files.txt"

step "appstreamcli validate, desktop-file-validate (the installed files)"
appstream_report=$(appstreamcli validate --pedantic --no-net --strict \
    /usr/share/metainfo/io.github.poolscope.poolscope.metainfo.xml) ||
    fail "appstreamcli: $appstream_report"
echo "$appstream_report"
# Pedantic notes do not fail appstreamcli; here they do.
! grep -qE '^[EWIP]: ' <<<"$appstream_report" || fail "appstreamcli has notes"
desktop-file-validate /usr/share/applications/io.github.poolscope.poolscope.desktop ||
    fail "desktop-file-validate"

# The hardening reached the installed programs: relro with bind-now, fortified and
# stack-protected calls.
step "hardening of the installed programs"
for program in /usr/bin/poolscope $worker; do
    # Read whole, not piped into grep -q: under pipefail an early grep exit fails the pipe.
    segments=$(readelf -lW "$program")
    dynamic=$(readelf -dW "$program")
    symbols=$(nm -D "$program")
    grep -q GNU_RELRO <<<"$segments" || fail "$program: no relro"
    grep -q 'FLAGS.*BIND_NOW' <<<"$dynamic" || fail "$program: no bind-now"
    grep -q '__stack_chk_fail' <<<"$symbols" || fail "$program: no stack protector"
    grep -qE '__[a-z]+_chk@' <<<"$symbols" || fail "$program: no fortified calls"
    echo "   $program: relro, bind-now, stack protector, fortify"
done

[ "$(command -v poolscope)" = /usr/bin/poolscope ] || fail "poolscope is not /usr/bin/poolscope"
step "poolscope --version: $(poolscope --version)"
[ "$(poolscope --version)" = "poolscope $(dpkg-query -W -f='${Version}' poolscope | sed 's/-[^-]*$//')" ] ||
    fail "poolscope --version does not say the package's version"

# A headless job per start method; with spawn the workers must be the installed
# poolscope-worker (the report says what they were started as; /proc says what ran).
headless_jobs() {
    for method in fork forkserver spawn; do
        report=$(poolscope --headless --count 100 --start-method $method --json) ||
            fail "poolscope --headless --start-method $method"
        grep -q '"succeeded":100' <<<"$report" || fail "$method: not 100 successes: $report"
        grep -q "\"start_method\":\"$method\"" <<<"$report" || fail "$method: $report"
        echo "   $method: 100 jobs succeeded"
    done
    grep -q "\"worker_program\":\"$worker\"" <<<"$report" ||
        fail "spawn did not use $worker: $report"
    poolscope --headless --count 4 --processes 2 --task sleep=1500 --start-method spawn \
        >/dev/null &
    local run=$!
    sleep 0.8
    local spawned=0
    for exe in /proc/[0-9]*/exe; do
        [ "$(readlink "$exe" 2>/dev/null)" = $worker ] && spawned=$((spawned + 1))
    done
    wait $run || fail "the spawn run with sleeping workers"
    [ $spawned -ge 2 ] || fail "saw $spawned processes running $worker, expected 2"
    echo "   spawn: $spawned workers running $worker"
}
step "headless jobs on each start method"
headless_jobs

# The GUI, offscreen, for 3 s: success is being alive until timeout's SIGTERM (status 124) and
# leaving no process behind; a crash is any other status (a signal's 128+n, a Qt fatal's abort).
step "the installed GUI, offscreen, for 3 s"
gui_home=$(mktemp -d)
set +e
HOME=$gui_home XDG_RUNTIME_DIR=$gui_home QT_QPA_PLATFORM=offscreen \
    timeout --kill-after=2 3 poolscope >"$gui_home/gui.log" 2>&1
status=$?
set -e
[ $status -eq 124 ] || { cat "$gui_home/gui.log"; fail "the GUI ended with status $status"; }
sleep 0.5
for exe in /proc/[0-9]*/exe; do
    case "$(readlink "$exe" 2>/dev/null)" in
    /usr/bin/poolscope | "$worker") fail "the GUI left a process behind: $exe" ;;
    esac
done
rm -rf "$gui_home"
echo "   ran until stopped, nothing left running"

# bash completion: every option of poolscope --help, and poolcore's built-in tasks for --task.
step "bash completion"
complete_words() {
    bash -c 'source /usr/share/bash-completion/bash_completion
             source /usr/share/bash-completion/completions/poolscope
             COMP_WORDS=(poolscope "$@"); COMP_CWORD=$#
             COMP_LINE="poolscope $*"; COMP_POINT=${#COMP_LINE}
             _poolscope poolscope "${@: -1}" "${COMP_WORDS[COMP_CWORD-1]}"
             printf "%s\n" "${COMPREPLY[@]}"' complete_words "$@" | sort -u
}
help_options=$(poolscope --help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' |
    sort -u)
[ "$(complete_words --)" = "$help_options" ] ||
    fail "completing '--' does not give poolscope --help's options"
builtin_tasks=$(grep -rhoE 'r\.add\(\{"[a-z_]+"' "$here/poolcore/src" | grep -oE '"[a-z_]+"' |
    tr -d '"' | sort -u)
[ -n "$builtin_tasks" ] || fail "found no built-in tasks in poolcore/src (r.add({\"name\", ...)"
[ "$(complete_words --task '')" = "$builtin_tasks" ] ||
    fail "--task completion is not poolcore's built-in tasks: $(tr "\n" " " <<<"$builtin_tasks")"
echo "   $(wc -l <<<"$help_options") options, $(wc -l <<<"$builtin_tasks") tasks"

# ---- libpoolcore-dev, used as an embedder would ---------------------------------------------
# The package installed from the .deb, then the consumer of tests/consumer built against the
# system's copy alone, with find_package(poolcore) and with pkg-config, each running 100 jobs of
# its own task on each start method.
libpoolcore_dev_consumer() {
    local dev_deb work
    dev_deb=$(ls libpoolcore-dev_*.deb 2>/dev/null || true)
    [ -n "$dev_deb" ] || fail "no libpoolcore-dev package was built"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$dev_deb" >/dev/null
    dpkg -L libpoolcore-dev | sort >>"$build_root/installed-files.txt"
    work=$(mktemp -d /tmp/poolcore-dev-consumer.XXXXXX)
    cp "$here/tests/consumer/consumer.cpp" "$here/tests/consumer/CMakeLists.txt" "$work/"
    cmake -S "$work" -B "$work/build" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
        fail "find_package(poolcore) against libpoolcore-dev failed"
    cmake --build "$work/build" >/dev/null || fail "the find_package consumer does not build"
    "$work/build/consumer" >"$work/cmake-run.txt" || fail "the find_package consumer failed"
    # shellcheck disable=SC2046 # pkg-config's flags are words
    c++ -std=c++20 -O2 "$work/consumer.cpp" $(pkg-config --cflags --libs poolcore) \
        -o "$work/consumer-pc" || fail "the pkg-config consumer does not build"
    "$work/consumer-pc" >"$work/pc-run.txt" || fail "the pkg-config consumer failed"
    for run in cmake pc; do
        for method in fork forkserver spawn; do
            grep -qx "$method: 100/100 succeeded" "$work/$run-run.txt" ||
                fail "the $run consumer of libpoolcore-dev did not run 100 jobs on $method"
        done
    done
    echo "   find_package and pkg-config consumers: 100/100 jobs on fork, forkserver, spawn"
    rm -rf "$work"
}
step "out-of-tree consumer of libpoolcore-dev"
libpoolcore_dev_consumer

# --- 4. Purged, and nothing left ----------------------------------------------------------------
purge_and_check() {
    local listing=$1
    shift
    local installed=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" &&
            installed+=("$p")
    done
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${installed[@]}" >/dev/null
    for p in "$@"; do
        if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed"; then
            fail "$p is still known to dpkg after the purge"
        fi
    done
    local left=0
    while read -r path; do
        # Folders the system shares (/usr/share/man/man1, ...) stay; the package's own must go.
        if [ -e "$path" ] && { [ ! -d "$path" ] || [[ $path == */poolscope* ]]; }; then
            echo "   left: $path"
            left=$((left + 1))
        fi
    done <"$listing"
    [ $left -eq 0 ] || fail "$left installed paths are still there after the purge"
    [ -z "$(command -v poolscope)" ] || fail "poolscope is still on PATH"
    echo "   $(wc -l <"$listing") paths listed by dpkg -L are gone"
}
step "apt-get purge, nothing left"
purge_and_check "$build_root/installed-files.txt" poolscope libpoolcore-dev

# The headless package: installed in place of the app, used, purged.
step "apt-get install ./$headless_deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$headless_deb" >/dev/null
dpkg -L poolscope-headless | sort >"$build_root/installed-files.txt"
step "poolscope --version: $(poolscope --version)"
step "headless jobs on each start method (poolscope-headless)"
headless_jobs
step "apt-get purge, nothing left"
purge_and_check "$build_root/installed-files.txt" poolscope-headless

step "packages ok in ${SECONDS} s: $(cd "$out" && echo *.deb *.rpm)"
