// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool_test_tasks.h"

#include "platform/entry_flags.h"
#include "poolcore/task_registry.h"
#include "protocol/wire_protocol.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace poolcore;
using namespace std::chrono_literals;

namespace harness {
namespace {

// Writes raw bytes to the worker's channel, then waits to be killed for it.
std::string write_to_channel_and_wait(const std::string& bytes) {
    [[maybe_unused]] auto n = ::write(kWorkerChannelFd, bytes.data(), bytes.size());
    std::this_thread::sleep_for(10s);
    return "not killed";
}

std::string frame(std::uint32_t length, std::uint8_t type, const std::string& body) {
    std::string s(4, '\0');
    std::memcpy(s.data(), &length, 4);
    s.push_back(char(type));
    return s + body;
}

} // namespace

void register_test_tasks() {
    auto& r = TaskRegistry::global();
    r.add({"list_fds", "", "Lists the worker's open descriptors."}, [](const TaskContext&) {
        std::vector<int> fds;
        DIR* dir = ::opendir("/proc/self/fd");
        while (dirent* e = ::readdir(dir)) {
            if (e->d_name[0] == '.')
                continue;
            const int fd = std::atoi(e->d_name);
            if (fd != ::dirfd(dir))
                fds.push_back(fd);
        }
        ::closedir(dir);
        std::sort(fds.begin(), fds.end());
        std::string out;
        for (int fd : fds)
            out += (out.empty() ? "" : ",") + std::to_string(fd);
        return out;
    });
    r.add({"garbage_frame", "", "Sends a frame of an unknown type."},
          [](const TaskContext&) { return write_to_channel_and_wait(frame(1, 0x7f, "")); });
    r.add({"oversized_frame", "", "Announces a 4 GiB frame."}, [](const TaskContext&) {
        return write_to_channel_and_wait(frame(0xFFFFFFF0u, 0x12, "xx"));
    });
    r.add({"bogus_ready", "", "Reports a result for a job it never got."}, [](const TaskContext&) {
        std::string bytes;
        wire::append_ready(bytes, 987654321, Outcome::Success, 0, 0, "");
        return write_to_channel_and_wait(bytes);
    });
    r.add({"close_channel", "", "Closes its worker's channel and keeps running."},
          [](const TaskContext&) {
              ::close(kWorkerChannelFd);
              std::this_thread::sleep_for(10s);
              return std::string("not killed");
          });
    r.add({"getpid", "", "Returns its pid."},
          [](const TaskContext&) { return std::to_string(::getpid()); });
}

} // namespace harness
