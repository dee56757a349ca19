# Sourced by scripts/dev.sh and the CI scripts (.ci/): the Debian 12 packages the project builds
# and tests with, and the one way they get installed (only what is missing; sudo when not root).

# clang with its sanitizer and libFuzzer runtimes: the asan, tsan and fuzz trees (.ci/).
poolscope_clang_packages=(clang-14 libclang-rt-14-dev libfuzzer-14-dev llvm-14)

# What configure, build and every test label need. README's "Dependencies" says why each is here.
poolscope_packages=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-qpa-plugins libqcustomplot-dev libqcustomplot2.1-qt6
    nlohmann-json3-dev
    doxygen
    python3-yaml binutils-mingw-w64-x86-64 gcc-mingw-w64-x86-64-posix # .rc check: windres
    "${poolscope_clang_packages[@]}"
    libhiredis-dev
    redis-server python3-celery python3-redis
)

# install_missing_packages PACKAGE...
install_missing_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "== installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}
