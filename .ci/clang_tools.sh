# Sourced by .ci/sanitizers.sh and .ci/fuzz.sh: installs clang-14 and its sanitizer and libFuzzer
# runtimes when missing (a fresh Debian 12 CI machine, as root).
need_clang() {
    local packages=(clang-14 libclang-rt-14-dev libfuzzer-14-dev llvm-14)
    local missing=()
    for p in "${packages[@]}"; do
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
