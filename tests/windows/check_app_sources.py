#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The desktop app's Windows sources, checked here where Debian has no Qt for mingw-w64.

    check_app_sources.py SOURCE_ROOT BUILD_DIR CROSS_DIR

Compiles every source of the app (app/, ui/, qtloop/, celery/) as the native build compiles it,
but with mingw-w64 for Windows and against Debian's Qt headers: Qt's headers take their Windows
branches from the compiler's _WIN32 (QWinEventNotifier, qintptr sockets), so a call that exists
only on POSIX, or a Windows branch that does not compile, fails here as it would on Windows.
Then every poolcore symbol the objects need must be defined in the cross-compiled
libpoolcore.a (CROSS_DIR, made by the windows_cross_build test): a class poolcore leaves out on
Windows, used without a guard, is a link error on Windows and a failure here. What this cannot
show: Qt's and hiredis's own symbols (no Windows libraries of theirs here) and anything at run
time; the Windows workflow links and packages the app.

Prints one line per failing file and "N sources compiled, M poolcore symbols resolved"; exits 0
when all is well, 1 otherwise, 77 (ctest's skip) when mingw-w64 is missing.
"""
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

MINGW = "x86_64-w64-mingw32-g++-posix"
NM = "x86_64-w64-mingw32-nm"
APP_FOLDERS = ("app/", "ui/", "qtloop/", "celery/")
# Left out of the Windows build by CMake, with the reason there (ui/widgets.cmake).
NOT_ON_WINDOWS = {"ui/sources/attach_source.cpp"}
# Header-only libraries from Debian that the Windows build gets from its own packages.
SYSTEM_HEADERS = ("nlohmann", "hiredis", "sqlite3.h", "qcustomplot.h")
# "ADDRESS T name" for a definition, "         U name" for a reference.
NM_LINE = re.compile(r"^\s*(?:[0-9a-fA-F]+\s+)?[A-Za-z?]\s+(.+)$")
POOLCORE_SYMBOL = re.compile(r"^(?:vtable for |typeinfo for |typeinfo name for )?poolcore::")


def compile_flags(entry):
    """The include paths, defines and standard of a compile_commands entry."""
    args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
    kept, i = [], 1
    while i < len(args):
        a = args[i]
        if a in ("-isystem", "-I", "-D"):
            kept += [a, args[i + 1]]
            i += 2
            continue
        if a.startswith(("-I", "-D", "-std=")):
            kept.append(a)
        i += 1
    # The native build's definitions for Linux only would hide the Windows branches.
    return [a for a in kept if a not in ("-D_GNU_SOURCE",)]


def app_sources(source_root, build_dir):
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    chosen = []
    for e in entries:
        path = os.path.realpath(e["file"])
        for root in (os.path.realpath(source_root), os.path.realpath(build_dir)):
            rel = os.path.relpath(path, root)
            if rel.startswith(APP_FOLDERS) or "/poolscope_ui_autogen/" in path:
                if rel not in NOT_ON_WINDOWS:
                    chosen.append((rel, e))
                break
    return chosen


def main():
    source_root, build_dir, cross_dir = sys.argv[1:4]
    if not shutil.which(MINGW) or not shutil.which(NM):
        print(f"SKIP: {MINGW} not found (Debian: apt-get install g++-mingw-w64-x86-64; "
              ".ci/windows.sh does)")
        return 77
    library = os.path.join(cross_dir, "poolcore", "libpoolcore.a")
    if not os.path.exists(library):
        print(f"no {library}: the windows_cross_build test makes it")
        return 1
    sources = app_sources(source_root, build_dir)
    if len(sources) < 20:
        print(f"only {len(sources)} app sources in {build_dir}/compile_commands.json")
        return 1

    work = tempfile.mkdtemp(prefix="app-objects-", dir=cross_dir)
    system = os.path.join(work, "system")
    os.makedirs(system)
    for name in SYSTEM_HEADERS:
        target = os.path.join("/usr/include", name)
        if os.path.exists(target):
            os.symlink(target, os.path.join(system, name))
    launcher = ["ccache"] if shutil.which("ccache") else []

    def build(item):
        rel, entry = item
        obj = os.path.join(work, rel.replace("/", "_") + ".o")
        cmd = launcher + [MINGW, "-c", "-O0", "-g0", "-Wall", "-Wextra", "-Werror",
                          "-isystem", system] + compile_flags(entry) + [entry["file"], "-o", obj]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=entry["directory"])
        return rel, obj, r.returncode, r.stderr

    failed = 0
    objects = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for rel, obj, rc, stderr in pool.map(build, sources):
            if rc != 0:
                failed += 1
                lines = [l for l in stderr.splitlines() if "error" in l]
                print(f"FAIL {rel}: {lines[0] if lines else stderr.strip()[:300]}")
            else:
                objects.append(obj)

    def symbols(args):
        out = subprocess.run([NM, "-C"] + args, capture_output=True, text=True, check=True).stdout
        found = set()
        for line in out.splitlines():
            m = NM_LINE.match(line)
            if m and POOLCORE_SYMBOL.match(m.group(1)):
                found.add(m.group(1))
        return found

    needed = symbols(["--undefined-only"] + objects) if objects else set()
    defined = symbols(["--defined-only", library]) | (
        symbols(["--defined-only"] + objects) if objects else set())
    missing = sorted(needed - defined)
    for name in missing:
        print(f"UNDEFINED on Windows: {name}")
    print(f"{len(objects)} of {len(sources)} sources compiled for Windows, "
          f"{len(needed) - len(missing)} of {len(needed)} poolcore symbols resolved")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
