// SPDX-License-Identifier: GPL-3.0-or-later
// What the tests ask of a process they only know by its pid.
#pragma once

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <signal.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace testutil {

// True once `pid` no longer runs: gone, or a zombie some other parent has yet to reap (only that
// parent can reap it).
inline bool process_gone(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return true;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

// Its parent as the kernel sees it; 0 once it is gone.
inline pid_t parent_of(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("PPid:", 0) == 0)
            return pid_t(std::stoi(line.substr(5)));
    return 0;
}

// Its arguments joined by spaces, as `ps` shows them (without the trailing blanks a rewritten
// process title leaves).
inline std::string command_line_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', ' ');
    text.erase(text.find_last_not_of(' ') + 1);
    return text;
}

// Its short name as the kernel keeps it (comm: what top and `ps -e` show).
inline std::string short_name_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

// The environment it was started with (/proc/PID/environ: what execve() handed it, not what it
// set since), one NAME=value per line. A forked process shows its parent's original one.
inline std::string start_environment_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', '\n');
    return text;
}

// Every process below `pid` (its children, theirs, and so on) as /proc shows them now: a
// forkserver's workers are the program's grandchildren.
inline std::vector<pid_t> descendants_of(pid_t pid) {
    std::multimap<pid_t, pid_t> children;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const auto child = pid_t(std::stoi(name));
        if (const pid_t parent = parent_of(child))
            children.emplace(parent, child);
    }
    std::vector<pid_t> found;
    std::vector<pid_t> next{pid};
    while (!next.empty()) {
        const pid_t p = next.back();
        next.pop_back();
        for (auto [at, end] = children.equal_range(p); at != end; ++at) {
            found.push_back(at->second);
            next.push_back(at->second);
        }
    }
    return found;
}

} // namespace testutil
