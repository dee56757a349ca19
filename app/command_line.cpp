// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/command_line.h"

#include "poolcore/monitor_protocol.h"

#include <QCommandLineParser>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace poolscope {

namespace {

struct BadArgument : std::runtime_error {
    using std::runtime_error::runtime_error;
};

long long to_integer(const QCommandLineParser& p, const QString& name, long long min,
                     long long max) {
    bool ok = false;
    const long long v = p.value(name).toLongLong(&ok);
    if (!ok || v < min || v > max)
        throw BadArgument(QStringLiteral("--%1 needs a whole number from %2 to %3, got '%4'")
                              .arg(name)
                              .arg(min)
                              .arg(max)
                              .arg(p.value(name))
                              .toStdString());
    return v;
}

double to_seconds(const QCommandLineParser& p, const QString& name) {
    bool ok = false;
    const double v = p.value(name).toDouble(&ok);
    // Beyond poolcore's longest time the clock's nanoseconds would overflow and strike at once.
    if (!ok || !std::isfinite(v) || v <= 0 || v > poolcore::kMaxSeconds)
        throw BadArgument(
            QStringLiteral("--%1 needs a positive number of seconds, at most %2, got '%3'")
                .arg(name)
                .arg(poolcore::kMaxSeconds, 0, 'g')
                .arg(p.value(name))
                .toStdString());
    return v;
}

} // namespace

poolcore::PoolOptions PoolOptionOverrides::applied_to(poolcore::PoolOptions o) const {
    if (processes)
        o.processes = *processes;
    if (threads)
        o.threads = *threads;
    if (start_method)
        o.start_method = start_method;
    if (strategy)
        o.strategy = *strategy;
    if (prefetch)
        o.prefetch = *prefetch;
    if (soft_time_limit)
        o.soft_time_limit = soft_time_limit;
    if (time_limit)
        o.time_limit = time_limit;
    if (max_tasks_per_child)
        o.max_tasks_per_child = max_tasks_per_child;
    if (max_memory_per_child_kib)
        o.max_memory_per_child_kib = max_memory_per_child_kib;
    if (proc_alive_timeout)
        o.proc_alive_timeout = *proc_alive_timeout;
    return o;
}

poolcore::PoolOptions CommandLine::overlay(const poolcore::PoolOptions& saved) const {
    poolcore::PoolOptions o = given.applied_to(saved);
    const poolcore::PoolOptions& run = headless.pool;
    o.forkserver = run.forkserver;         // started by main() before any thread
    o.worker_program = run.worker_program; // found by main() beside the app
    o.kill_grace = run.kill_grace;
    // max_restarts and restart_window are the window's settings now (no option sets them): the
    // saved ones stay.
    o.max_frame_bytes = run.max_frame_bytes;
    o.putlocks = run.putlocks;
    return o;
}

namespace {

// The options QGuiApplication and QApplication take for themselves (Qt's documentation of both
// constructors, and the X11 ones xcb reads), with whether each takes a value. QApplication
// removes them from argv when the window starts; this parser only has to let them through.
struct QtOption {
    const char* name;
    bool takes_value;
};
constexpr QtOption kQtOptions[] = {
    {"platform", true},        {"platformpluginpath", true},
    {"platformtheme", true},   {"plugin", true},
    {"qwindowgeometry", true}, {"qwindowicon", true},
    {"qwindowtitle", true},    {"reverse", false},
    {"session", true},         {"style", true},
    {"stylesheet", true},      {"widgetcount", false},
    {"display", true},         {"geometry", true},
    {"title", true},           {"name", true},
    {"visual", true},          {"ncols", true},
    {"cmap", false},           {"nograb", false},
    {"dograb", false},         {"sync", false},
    {"qmljsdebugger", true},   {"dialogs", true},
};

// `arguments` without Qt's own options (single dash, as Qt spells them: `-style fusion` or
// `-style=fusion`), which the window's QApplication applies.
QStringList without_qt_options(const QStringList& arguments) {
    QStringList out;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString& a = arguments[i];
        const QtOption* match = nullptr;
        bool inline_value = false;
        if (i > 0 && a.startsWith(QLatin1Char('-')) && !a.startsWith(QStringLiteral("--")))
            for (const QtOption& o : kQtOptions) {
                const QString name = QLatin1Char('-') + QLatin1String(o.name);
                if (a == name || (o.takes_value && a.startsWith(name + QLatin1Char('=')))) {
                    match = &o;
                    inline_value = a != name;
                    break;
                }
            }
        if (!match) {
            out << a;
            continue;
        }
        if (match->takes_value && !inline_value)
            ++i; // its value
    }
    return out;
}

} // namespace

CommandLine parse_command_line(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Run, watch and control a prefork process pool.\n"
                       "Without --headless, opens the desktop application."));
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({"h", "help"}, "Show this help.");
    const QCommandLineOption version("version", "Show the version.");
    p.addOption(help);
    p.addOption(version);
    p.addOptions({
        {"headless", "Run a load without a window and print a report."},
        {"processes", "Worker processes (default: one per CPU).", "N"},
        {"task", "Task to run, name[=arg]; repeat to round-robin. Default: noop.", "SPEC"},
        {"count", "Jobs to submit (default 1000).", "N"},
        {"payload", "Payload bytes per job (default 0).", "BYTES"},
        {"pool", "async (event loop, default) or blocking (own thread).", "KIND"},
        {"loop", "Event loop for the async pool: poll (default) or qt.", "KIND"},
        {"start-method",
         "How workers start: forkserver (default), spawn, or fork (refused once the process "
         "runs threads, as the desktop app always does).",
         "NAME"},
        {"strategy", "fair (default) or fcfs.", "NAME"},
        {"prefetch", "Jobs queued per worker with fcfs (default 4).", "N"},
        {"soft-time-limit", "Soft time limit per job.", "S"},
        {"time-limit", "Hard time limit per job.", "S"},
        {"max-tasks-per-child", "Recycle a worker after N tasks.", "N"},
        {"max-memory-per-child", "Recycle a worker above KIB resident memory.", "KIB"},
        {"alive-timeout", "Seconds a new worker has to say it is up (default 4).", "S"},
        {"chaos-kill-ms", "SIGKILL a random busy worker every MS milliseconds.", "MS"},
        {"timeout", "Give up waiting for outcomes after S seconds (default 600).", "S"},
        {"stop-grace",
         "On SIGINT, SIGTERM or SIGHUP, seconds the jobs in flight have to finish before they "
         "are terminated (default 10).",
         "S"},
        {"monitor",
         "Serve the pool on a monitor socket at PATH, for poolscope --attach (see "
         "docs/monitor-protocol.md).",
         "PATH"},
        {"monitor-read-only", "With --monitor: viewers may watch but not control the pool."},
        {"attach",
         "Open the window on the pool another program serves on the monitor socket at PATH "
         "(its --monitor), instead of starting one.",
         "PATH"},
        {"json", "Print the report as one JSON object."},
        {"verbose", "Print the pool's events to stderr."},
        {"celery",
         "Watch a Celery cluster on its Redis broker (redis://HOST:PORT/DB) instead of running a "
         "pool; with --headless, print one report of it.",
         "URL"},
        {"celery-keyprefix", "The broker's global_keyprefix transport option.", "PREFIX"},
        {"control",
         "With --celery --headless: send a remote-control command and print the replies: "
         "pool_grow=N, pool_shrink=N, pool_restart, autoscale=MAX,MIN, revoke=ID, "
         "terminate=ID[,SIGNAL], ping, shutdown, enable_events, disable_events, or "
         "METHOD={json arguments}. Repeatable.",
         "CMD"},
        {"destination", "With --control: only this worker (node name); repeatable.", "NODE"},
        {"watch", "With --celery --headless: collect events for S seconds before reporting.", "S"},
    });

    CommandLine cl;
    if (!p.parse(without_qt_options(arguments))) {
        cl.mode = CommandLine::Mode::Error;
        cl.text = p.errorText();
        return cl;
    }
    if (p.isSet(help)) {
        cl.mode = CommandLine::Mode::Help;
        // Parsed before any QCoreApplication exists, the help cannot know the program's name.
        cl.text =
            p.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("poolscope"));
        return cl;
    }
    if (p.isSet(version)) {
        cl.mode = CommandLine::Mode::Version;
        return cl;
    }
    if (!p.positionalArguments().isEmpty()) {
        cl.mode = CommandLine::Mode::Error;
        cl.text = QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first());
        return cl;
    }

    HeadlessOptions& h = cl.headless;
    try {
        PoolOptionOverrides& given = cl.given;
        // The desktop app takes 0 for one per CPU, as its Settings page does.
        if (p.isSet("processes"))
            given.processes = int(
                to_integer(p, "processes", p.isSet("headless") ? 1 : 0, poolcore::kMaxProcesses));
        if (p.isSet("count"))
            h.count = to_integer(p, "count", 0, 1'000'000'000);
        if (p.isSet("payload")) // its upper bound depends on the tasks: checked with them below
            h.payload_bytes =
                std::size_t(to_integer(p, "payload", 0, std::numeric_limits<std::uint32_t>::max()));
        if (p.isSet("pool")) {
            const QString v = p.value("pool");
            if (v != "async" && v != "blocking")
                throw BadArgument("--pool takes async or blocking, got '" + v.toStdString() + "'");
            given.threads = v == "blocking";
        }
        if (p.isSet("loop")) {
            const QString v = p.value("loop");
            if (v != "poll" && v != "qt")
                throw BadArgument("--loop takes poll or qt, got '" + v.toStdString() + "'");
            h.loop = v == "qt" ? LoopKind::Qt : LoopKind::Poll;
        }
        if (p.isSet("strategy")) {
            const auto s = poolcore::parse_strategy(p.value("strategy").toStdString());
            if (!s)
                throw BadArgument("--strategy takes fair or fcfs, got '" +
                                  p.value("strategy").toStdString() + "'");
            given.strategy = *s;
        }
        if (p.isSet("start-method")) {
            const auto m = poolcore::parse_start_method(p.value("start-method").toStdString());
            if (!m)
                throw BadArgument("--start-method takes fork, forkserver or spawn, got '" +
                                  p.value("start-method").toStdString() + "'");
            given.start_method = *m;
        }
        if (p.isSet("prefetch"))
            given.prefetch = int(to_integer(p, "prefetch", 1, 1024));
        if (p.isSet("soft-time-limit"))
            given.soft_time_limit = poolcore::Seconds(to_seconds(p, "soft-time-limit"));
        if (p.isSet("time-limit"))
            given.time_limit = poolcore::Seconds(to_seconds(p, "time-limit"));
        if (p.isSet("max-tasks-per-child"))
            given.max_tasks_per_child = int(to_integer(p, "max-tasks-per-child", 1, 1 << 30));
        if (p.isSet("max-memory-per-child"))
            given.max_memory_per_child_kib =
                std::uint64_t(to_integer(p, "max-memory-per-child", 1024, 1ll << 40));
        if (p.isSet("alive-timeout"))
            given.proc_alive_timeout = poolcore::Seconds(to_seconds(p, "alive-timeout"));
        if (p.isSet("chaos-kill-ms"))
            h.chaos_kill_ms = int(to_integer(p, "chaos-kill-ms", 1, 3'600'000));
        if (p.isSet("timeout"))
            h.timeout_s = to_seconds(p, "timeout");
        if (p.isSet("stop-grace"))
            h.stop_grace_s = to_seconds(p, "stop-grace");
        h.monitor_socket = p.value("monitor").toStdString();
        h.monitor_read_only = p.isSet("monitor-read-only");
        if (h.monitor_read_only && h.monitor_socket.empty())
            throw BadArgument("--monitor-read-only needs --monitor PATH");
        cl.attach_socket = p.value("attach");
        if (p.isSet("attach") && cl.attach_socket.isEmpty())
            throw BadArgument("--attach needs a socket's path");
        if (p.isSet("attach") && p.isSet("headless"))
            throw BadArgument("--attach opens the window; a headless viewer is not offered");
#if !POOLCORE_HAS_MONITOR
        for (const char* option : {"monitor", "attach"})
            if (p.isSet(option))
                throw BadArgument(std::string("--") + option + " is not available: this build " +
                                  "of poolcore has no monitor endpoint on Windows (its sockets " +
                                  "are Unix-domain ones)");
#endif
        h.json = p.isSet("json");
        h.verbose = p.isSet("verbose");
        cl.celery.url = p.value("celery").toStdString();
        cl.celery.global_keyprefix = p.value("celery-keyprefix").toStdString();
        for (const QString& c : p.values("control"))
            cl.celery.controls.push_back(c.toStdString());
        for (const QString& d : p.values("destination"))
            cl.celery.destination.push_back(d.toStdString());
        if (p.isSet("watch"))
            cl.celery.watch_s = to_seconds(p, "watch");
        if (p.isSet("timeout"))
            cl.celery.timeout_s = to_seconds(p, "timeout");
        if (cl.celery.url.empty())
            for (const char* o : {"celery-keyprefix", "control", "destination", "watch"})
                if (p.isSet(o))
                    throw BadArgument(std::string("--") + o + " needs --celery");
        if (!p.isSet("headless"))
            for (const char* o : {"control", "destination", "watch"})
                if (p.isSet(o))
                    throw BadArgument(std::string("--") + o + " needs --headless");
        const QStringList specs = p.values("task");
        for (const QString& spec : specs.isEmpty() ? QStringList{"noop"} : specs) {
            auto call = poolcore::TaskCall::parse(spec.toStdString());
            if (call.task.empty())
                throw BadArgument("--task needs a name, as in name[=arg], got '" +
                                  spec.toStdString() + "'");
            h.tasks.push_back(std::move(call));
        }
        h.pool = given.applied_to(h.pool);
        // The pool's own limit and words: what no job of these tasks can carry is refused here.
        for (const auto& call : h.tasks)
            if (auto problem = h.pool.payload_problem(h.payload_bytes, call.task, call.argument);
                !problem.empty())
                throw BadArgument("--payload " + std::to_string(h.payload_bytes) + ": " + problem);
        if (h.pool.soft_time_limit && h.pool.time_limit &&
            *h.pool.soft_time_limit > *h.pool.time_limit)
            throw BadArgument("--soft-time-limit must be less than or equal to --time-limit");
        if (!p.isSet("headless")) {
            if (h.pool.start_method == poolcore::StartMethod::Fork)
                throw BadArgument("--start-method fork is for --headless: the desktop app runs "
                                  "threads, and forking it could hang a worker");
            for (const char* o : {"task", "count", "payload", "chaos-kill-ms", "loop", "stop-grace",
                                  "monitor", "monitor-read-only"})
                if (p.isSet(o))
                    throw BadArgument(std::string("--") + o + " needs --headless");
            if (p.isSet("json"))
                throw BadArgument("--json needs --headless");
        }
        h.pool.validate();
    } catch (const std::exception& e) {
        cl.mode = CommandLine::Mode::Error;
        cl.text = QString::fromStdString(e.what());
        return cl;
    }
    cl.mode = p.isSet("headless") ? CommandLine::Mode::Headless : CommandLine::Mode::Gui;
    return cl;
}

} // namespace poolscope
