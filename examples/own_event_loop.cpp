// SPDX-License-Identifier: MIT
// The event-loop pool inside a program that already has its own loop. poolcore never runs a
// loop of its own here: it asks the embedder's loop, through poolcore::EventLoop, to watch its
// fds, timers and worker exits, and everything it does happens inside that loop's dispatch.
//
// TinyLoop below stands for the embedder's loop: a plain poll(2) loop written for this program.
// The jobs are handed to the pool from one of the loop's own timers, as an embedder's event
// handler would.
//
// Prints "12 jobs done: 12 succeeded" and "stopped".
#include "poolcore/event_loop.h"
#include "poolcore/pool.h"
#include "poolcore/task_registry.h"
#include "poolcore/worker_entry.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <poll.h>
#include <string>
#include <vector>

namespace {

// [snippet:event-loop]
// The embedder's loop. poolcore needs what EventLoop lists: level-triggered readers and writers
// per fd (independent of each other), one-shot and repeating timers, a watch on a process-exit
// handle (on POSIX an fd that turns readable), and run_until() for the parts of the API that
// wait (Pool::join). Callbacks may add and remove registrations while they run, so each
// dispatch works on a copy and looks the handler up again before calling it.
class TinyLoop final : public poolcore::EventLoop {
public:
    void add_reader(int fd, Callback cb) override { fds_[fd].reader = std::move(cb); }
    void remove_reader(int fd) override { drop(fd, &Handlers::reader); }
    void add_writer(int fd, Callback cb) override { fds_[fd].writer = std::move(cb); }
    void remove_writer(int fd) override { drop(fd, &Handlers::writer); }

    TimerId call_later(Duration delay, Callback fire) override {
        return add_timer(delay, Duration::zero(), std::move(fire));
    }
    TimerId call_repeatedly(Duration interval, Callback fire) override {
        return add_timer(interval, interval, std::move(fire));
    }
    void cancel_timer(TimerId id) override { timers_.erase(id); }

    // An exit handle is an fd that turns readable once: a reader by another name.
    void watch_process_exit(poolcore::ExitHandle handle, Callback on_exit) override {
        add_reader(handle.fd, std::move(on_exit));
    }
    void unwatch_process_exit(poolcore::ExitHandle handle) override { remove_reader(handle.fd); }

    bool run_until(const std::function<bool()>& done, Duration timeout) override {
        const auto deadline = Clock::now() + timeout;
        while (!done() && Clock::now() < deadline)
            run_once(deadline);
        return done();
    }

private:
    using Clock = std::chrono::steady_clock;
    struct Handlers {
        Callback reader, writer;
    };
    struct Timer {
        Clock::time_point due;
        Duration interval; // zero: one-shot
        Callback fire;
    };

    void drop(int fd, Callback Handlers::*which) {
        auto it = fds_.find(fd);
        if (it == fds_.end())
            return;
        it->second.*which = nullptr;
        if (!it->second.reader && !it->second.writer)
            fds_.erase(it);
    }
    TimerId add_timer(Duration delay, Duration interval, Callback fire) {
        timers_[next_id_] = Timer{Clock::now() + delay, interval, std::move(fire)};
        return next_id_++;
    }

    // One turn: wait for I/O until the next timer (or the deadline), dispatch, fire due timers.
    void run_once(Clock::time_point deadline) {
        auto wake = deadline;
        for (const auto& [id, timer] : timers_)
            wake = std::min(wake, timer.due);
        std::vector<pollfd> polled;
        for (const auto& [fd, h] : fds_)
            polled.push_back({fd, short((h.reader ? POLLIN : 0) | (h.writer ? POLLOUT : 0)), 0});
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now());
        ::poll(polled.data(), polled.size(), int(std::max<long long>(0, wait.count())));

        for (const pollfd& p : polled) {
            // Hang-up and error count as readable: the reader then sees EOF and cleans up.
            if (p.revents & (POLLIN | POLLHUP | POLLERR))
                call(p.fd, &Handlers::reader);
            if (p.revents & (POLLOUT | POLLERR))
                call(p.fd, &Handlers::writer);
        }
        std::vector<TimerId> due;
        for (const auto& [id, timer] : timers_)
            if (timer.due <= Clock::now())
                due.push_back(id);
        for (TimerId id : due) {
            auto it = timers_.find(id);
            if (it == timers_.end())
                continue; // cancelled by an earlier callback of this turn
            Callback fire = it->second.fire;
            if (it->second.interval > Duration::zero())
                it->second.due += it->second.interval;
            else
                timers_.erase(it);
            fire();
        }
    }
    void call(int fd, Callback Handlers::*which) {
        auto it = fds_.find(fd);
        if (it == fds_.end() || !(it->second.*which))
            return;                      // removed by an earlier callback of this turn
        Callback cb = it->second.*which; // a copy: the callback may remove itself
        cb();
    }

    std::map<int, Handlers> fds_;
    std::map<TimerId, Timer> timers_;
    TimerId next_id_ = 1;
};
// [/snippet]

} // namespace

int main(int argc, char** argv) {
    poolcore::TaskRegistry::global().add({"reverse", "", "Reverses the payload"},
                                         [](const poolcore::TaskContext& ctx) {
                                             std::string text(ctx.payload());
                                             std::reverse(text.begin(), text.end());
                                             return text;
                                         });
    poolcore::run_worker_if_requested(argc, argv);

    TinyLoop loop;

    // [snippet:register]
    poolcore::PoolOptions options;
    options.processes = 2;
    poolcore::Pool pool(options);
    pool.register_with_event_loop(loop); // before or after start(): registrations move with it
    pool.start();                        // returns at once; the workers come up in the loop
    int succeeded = 0, finished = 0;
    poolcore::JobCallbacks callbacks;
    callbacks.on_success = [&](const poolcore::JobResult&) { ++succeeded, ++finished; };
    callbacks.on_error = [&](const poolcore::JobResult&) { ++finished; };
    loop.call_later(std::chrono::milliseconds(0), [&] { // the embedder's own event
        for (int i = 0; i < 12; ++i)
            pool.apply_async(
                poolcore::TaskCall{.task = "reverse", .payload = "job " + std::to_string(i)},
                callbacks);
    });
    loop.run_until([&] { return finished == 12; }, std::chrono::seconds(60));
    // [/snippet]
    std::printf("%d jobs done: %d succeeded\n", finished, succeeded);

    pool.stop();                                              // graceful, and it does not block:
    const bool stopped = pool.join(std::chrono::seconds(30)); // join() runs our loop until done
    std::printf("%s\n", stopped ? "stopped" : "did not stop");
    return succeeded == 12 && stopped ? 0 : 1;
}
