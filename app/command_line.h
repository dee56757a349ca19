// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/options.h"

#include <QStringList>
#include <optional>
#include <string>
#include <vector>

namespace poolscope {

enum class LoopKind { Poll, Qt };

// Everything `poolscope --headless` was asked to do. This interface is scripted by others: keep
// its options stable.
struct HeadlessOptions {
    poolcore::PoolOptions pool;
    std::vector<poolcore::TaskCall> tasks; // used round-robin
    long long count = 1000;
    std::size_t payload_bytes = 0;
    std::optional<int> chaos_kill_ms;
    LoopKind loop = LoopKind::Poll;
    bool json = false;
    bool verbose = false;
    double timeout_s = 600;
    // After a first SIGINT, SIGTERM or SIGHUP: how long the jobs in flight have to finish before
    // they are terminated.
    double stop_grace_s = 10;
    // --monitor PATH: the pool is served on a monitor socket there (poolcore::MonitorServer),
    // read-only with --monitor-read-only.
    std::string monitor_socket;
    bool monitor_read_only = false;
};

// The pool options the command line gave, each set only when its option was given: a value
// given on purpose wins even where it equals the default (--processes 0 over a saved 4).
struct PoolOptionOverrides {
    std::optional<int> processes;
    std::optional<bool> threads;
    std::optional<poolcore::StartMethod> start_method;
    std::optional<poolcore::Strategy> strategy;
    std::optional<int> prefetch;
    std::optional<poolcore::Seconds> soft_time_limit;
    std::optional<poolcore::Seconds> time_limit;
    std::optional<int> max_tasks_per_child;
    std::optional<std::uint64_t> max_memory_per_child_kib;
    std::optional<poolcore::Seconds> proc_alive_timeout;

    // `options` with every given field put over it.
    poolcore::PoolOptions applied_to(poolcore::PoolOptions options) const;
};

// `--celery URL`: watch a Celery cluster on its Redis broker instead of running a pool.
struct CeleryOptions {
    std::string url;                      // empty: no Celery source
    std::string global_keyprefix;         // kombu's transport option of that name
    std::vector<std::string> controls;    // --control METHOD[=ARGS], sent in order
    std::vector<std::string> destination; // --destination NODE: only these workers
    double watch_s = 0;                   // --watch S: collect events this long before the report
    double timeout_s = 15; // --timeout S: how long the broker and workers have to answer
};

struct CommandLine {
    enum class Mode { Gui, Headless, Help, Version, Error } mode = Mode::Gui;
    HeadlessOptions headless; // its pool: the defaults with what was given put over them
    PoolOptionOverrides given;
    CeleryOptions celery;
    QString text; // the help text, or the one-line error
    // --attach PATH: the window shows the pool served on this monitor socket instead of its own.
    QString attach_socket;

    // The desktop app's pool settings: those saved by an earlier session with the ones given on
    // the command line put over them. What main() prepared for this run and no option or page
    // sets (the forkserver it started, the worker program it found, the pool's internal limits)
    // comes from `headless.pool` as it is.
    poolcore::PoolOptions overlay(const poolcore::PoolOptions& saved) const;
};

CommandLine parse_command_line(const QStringList& arguments);

} // namespace poolscope
