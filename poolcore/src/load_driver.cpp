// SPDX-License-Identifier: MIT
#include "poolcore/load_driver.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace poolcore {

struct LoadDriver::State {
    State(Submit s, MakeCall m, Settings settings)
        : submit(std::move(s)), make_call(std::move(m)), window(std::max(1LL, settings.window)),
          total(settings.total), budgeted(settings.budgeted),
          refill_on_outcome(settings.refill_on_outcome),
          on_outcome(std::move(settings.on_outcome)) {}

    const Submit submit;
    const MakeCall make_call;
    std::atomic<long long> window;
    const std::optional<long long> total;
    const bool budgeted;
    const bool refill_on_outcome;
    const std::function<void(const JobResult&)> on_outcome;

    std::atomic<long long> submitted{0}; // written only by the thread holding `busy`
    std::atomic<long long> completed{0};
    std::atomic<long long> succeeded{0};
    std::atomic<long long> failed{0};
    std::atomic<long long> budget{0};
    std::atomic<bool> stopped{false};
    std::atomic<bool> refused{false};
    mutable std::mutex error_mutex;
    std::string error;

    // Who submits: one thread at a time holds `busy`; a refill that finds it held sets `again`,
    // which the holder checks after letting go (both sequentially consistent, so that the two
    // cannot miss each other and leave the window unfilled).
    std::atomic<bool> busy{false};
    std::atomic<bool> again{false};
    std::atomic<std::thread::id> holder{};

    void refill(const std::shared_ptr<State>& self) {
        again = true;
        while (again) {
            if (busy.exchange(true))
                return;
            holder = std::this_thread::get_id();
            again = false;
            submit_while_room(self);
            holder = std::thread::id{};
            busy = false;
        }
    }

    bool take_budget() {
        long long b = budget.load();
        while (b > 0 && !budget.compare_exchange_weak(b, b - 1)) {
        }
        return b > 0;
    }

    void submit_while_room(const std::shared_ptr<State>& self) {
        JobCallbacks callbacks;
        callbacks.on_success = callbacks.on_error = [self](const JobResult& r) {
            self->count(r);
            if (self->refill_on_outcome)
                self->refill(self);
        };
        while (!stopped) {
            const long long n = submitted.load();
            if (total && n >= *total)
                return;
            if (n - completed.load() >= window)
                return;
            if (budgeted && !take_budget())
                return;
            try {
                submit(make_call(n), callbacks);
            } catch (const std::exception& e) {
                refuse(e.what());
                return;
            }
            submitted = n + 1;
        }
    }

    void count(const JobResult& r) {
        if (on_outcome)
            on_outcome(r);
        (r.ok() ? succeeded : failed).fetch_add(1, std::memory_order_relaxed);
        completed.fetch_add(1);
    }

    void refuse(const std::string& why) {
        {
            std::lock_guard lock(error_mutex);
            if (!refused)
                error = why;
        }
        refused = true;
        stopped = true;
    }
};

LoadDriver::LoadDriver(Submit submit, MakeCall make_call, Settings settings)
    : state_(
          std::make_shared<State>(std::move(submit), std::move(make_call), std::move(settings))) {}

LoadDriver::~LoadDriver() {
    stop();
    // A refill on another thread may be inside the submit function, whose captures the owner
    // is about to destroy; it sees `stopped` after that one job.
    while (state_->busy && state_->holder.load() != std::this_thread::get_id())
        std::this_thread::yield();
}

void LoadDriver::refill() {
    state_->refill(state_);
}

void LoadDriver::grant(long long jobs) {
    if (jobs > 0)
        state_->budget.fetch_add(jobs);
    refill();
}

long long LoadDriver::take_unused_budget() {
    return state_->budget.exchange(0);
}

void LoadDriver::stop() {
    state_->stopped = true;
}

long long LoadDriver::window() const {
    return state_->window;
}
void LoadDriver::set_window(long long window) {
    state_->window = std::max(1LL, window);
}
long long LoadDriver::submitted() const {
    return state_->submitted.load();
}
long long LoadDriver::completed() const {
    return state_->completed.load();
}
long long LoadDriver::succeeded() const {
    return state_->succeeded.load();
}
long long LoadDriver::failed() const {
    return state_->failed.load();
}
bool LoadDriver::complete() const {
    return state_->total && completed() >= *state_->total;
}
bool LoadDriver::stopped() const {
    return state_->stopped.load();
}
bool LoadDriver::refused() const {
    return state_->refused.load();
}
std::string LoadDriver::error() const {
    std::lock_guard lock(state_->error_mutex);
    return state_->error;
}

LoadDriver::MakeCall round_robin_calls(std::vector<TaskCall> calls, std::string payload) {
    if (calls.empty())
        throw std::invalid_argument("a round-robin load needs at least one task");
    return [calls = std::move(calls), payload = std::move(payload)](long long index) {
        TaskCall call = calls[std::size_t(index) % calls.size()];
        call.payload = payload;
        return call;
    };
}

} // namespace poolcore
