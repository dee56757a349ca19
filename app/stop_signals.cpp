// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/stop_signals.h"

#include <cerrno>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace poolscope {

namespace {

// The signal handler's one piece of state: where it writes. Set and cleared only while the
// handlers are not installed.
int g_stop_signal_pipe = -1;

void on_stop_signal(int signal) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] const auto n = ::write(g_stop_signal_pipe, &byte, 1);
    errno = saved;
}

} // namespace

StopSignals::StopSignals() {
    int ends[2];
#ifdef __linux__
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
#else
    // macOS has no pipe2(): a pipe, then the flags one by one.
    if (::pipe(ends) != 0)
        return;
    for (int fd : ends) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
#endif
    read_end_ = ends[0];
    write_end_ = ends[1];
    g_stop_signal_pipe = write_end_;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
        ::sigaction(kSignals[i], nullptr, &previous_[i]);
        // A signal ignored from the start (nohup, a background job's SIGINT) stays ignored.
        if (previous_[i].sa_handler != SIG_IGN)
            ::sigaction(kSignals[i], &sa, nullptr);
    }
}

StopSignals::~StopSignals() {
    if (read_end_ < 0)
        return;
    for (std::size_t i = 0; i < kSignals.size(); ++i)
        ::sigaction(kSignals[i], &previous_[i], nullptr);
    g_stop_signal_pipe = -1;
    ::close(read_end_);
    ::close(write_end_);
}

void StopSignals::collect() {
    if (read_end_ < 0)
        return;
    unsigned char bytes[64];
    for (;;) {
        const auto n = ::read(read_end_, bytes, sizeof bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (first_ == 0)
            first_ = bytes[0];
        count_ += int(n);
    }
}

} // namespace poolscope
