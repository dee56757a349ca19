#!/usr/bin/env python3
"""Checks what the macOS and Windows builds use but the Linux CI cannot run: the workflows
parse and name only files that exist, the configured Info.plist is a valid property list with
the bundle id and version, the Windows resource script compiles (mingw's windres), and the
committed .icns and .ico are what their formats say.

    check_platform_files.py SOURCE_DIR PLATFORM_DIR VERSION [WINDRES]

Exits 77 (ctest's skip) only when a tool is missing, naming it."""
import plistlib
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def check_workflows(source):
    try:
        import yaml
    except ImportError:
        print("SKIP: python3-yaml is not installed (Debian: python3-yaml)")
        sys.exit(77)
    workflows = sorted((source / ".github" / "workflows").glob("*.yml"))
    if {w.stem for w in workflows} < {"linux", "macos", "windows"}:
        fail(f"expected linux, macos and windows workflows, found {[w.name for w in workflows]}")
    for path in workflows:
        doc = yaml.safe_load(path.read_text())
        # YAML 1.1 reads the bare key `on` as true.
        if "on" not in doc and True not in doc:
            fail(f"{path.name}: no trigger (on:)")
        jobs = doc.get("jobs") or {}
        if not jobs:
            fail(f"{path.name}: no jobs")
        for name, job in jobs.items():
            for key in ("runs-on", "timeout-minutes", "steps"):
                if key not in job:
                    fail(f"{path.name}: job {name} has no {key}")
            for i, step in enumerate(job.get("steps", [])):
                if ("run" in step) == ("uses" in step):
                    fail(f"{path.name}: job {name} step {i} needs exactly one of run/uses")
                for script in re.findall(r"bash\s+(\.?[\w./-]+\.sh|\.ci/run)", step.get("run", "")):
                    if not (source / script).is_file():
                        fail(f"{path.name}: job {name} runs {script}, which does not exist")
        print(f"ok: {path.name} ({len(jobs)} job(s))")


def check_plist(platform_dir, source, version):
    with open(platform_dir / "Info.plist", "rb") as f:
        plist = plistlib.load(f)
    expected = {"CFBundleIdentifier": "io.github.poolscope.Poolscope",
                "CFBundleShortVersionString": version, "CFBundleVersion": version,
                "CFBundlePackageType": "APPL", "CFBundleExecutable": "poolscope"}
    for key, value in expected.items():
        if plist.get(key) != value:
            fail(f"Info.plist: {key} is {plist.get(key)!r}, expected {value!r}")
    if not (source / "resources" / plist.get("CFBundleIconFile", "")).is_file():
        fail(f"Info.plist: icon {plist.get('CFBundleIconFile')} is not in resources/")
    print("ok: Info.plist")


def check_rc(platform_dir, windres):
    if not windres:
        print("SKIP: no windres (Debian: binutils-mingw-w64-x86-64)")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "poolscope.res.o"
        run = subprocess.run([windres, str(platform_dir / "poolscope.rc"), "-O", "coff",
                              "-o", str(out)], capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"windres poolscope.rc: {run.stderr.strip()}")
        elif out.stat().st_size < 1024:
            fail("windres made an object too small to hold the icon")
        else:
            print("ok: poolscope.rc compiles")


def check_icons(source):
    icns = (source / "resources" / "poolscope.icns").read_bytes()
    magic, length = struct.unpack(">4sI", icns[:8])
    if magic != b"icns" or length != len(icns):
        fail("poolscope.icns: not an icns file of its stated length")
    kinds = set()
    offset = 8
    while offset + 8 <= len(icns):
        kind, size = struct.unpack(">4sI", icns[offset:offset + 8])
        kinds.add(kind)
        offset += size
    for needed in (b"ic09", b"ic10"):  # 512 and 1024: Retina's Finder and Dock
        if needed not in kinds:
            fail(f"poolscope.icns: no {needed.decode()} image")
    ico = (source / "resources" / "poolscope.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    sizes = [ico[6 + 16 * i] or 256 for i in range(count)]
    if reserved != 0 or kind != 1 or not {16, 32, 48, 256} <= set(sizes):
        fail(f"poolscope.ico: expected an icon with 16, 32, 48 and 256 px, found {sizes}")
    print("ok: icons")


def main():
    source, platform_dir, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    windres = sys.argv[4] if len(sys.argv) > 4 else ""
    check_workflows(source)
    check_plist(platform_dir, source, version)
    check_icons(source)
    check_rc(platform_dir, windres)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
