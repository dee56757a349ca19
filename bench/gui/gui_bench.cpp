// SPDX-License-Identifier: GPL-3.0-or-later
// poolscope-gui-bench: the real main window with 8 workers at full no-op load, then idle.
// Measures how late a 1 ms timer fires on the GUI thread (event-loop stalls), how often and how
// long each chart replots, the CPU the app and its workers use, and the app's memory at the end
// of the load, sampled through the load to show whether it stays bounded. The views a user
// debugging the pool has open are open: the job timeline (the window's centre), the latency
// histogram (a chart of the grid) and the Jobs list (the current tab of the lower dock, so that
// every batch of records lands in a visible table). See bench/README.md.
//
//   poolscope-gui-bench [--pool event-loop|threads] [--processes 8] [--load-seconds 20]
//                       [--rss-every-s 10]
//                       [--idle-seconds 90] [--json PATH] [--screenshot PATH]
//                       [--export none|sync|background] [--export-every-ms 2000]
//                       [--history-samples 10000]
#include "poolcore/forkserver.h"
#include "poolcore/worker_entry.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/pages/jobs_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"
#include "ui/sources/pool_controller.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using namespace poolscope;

namespace {

double cpu_seconds_self() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of another process, from /proc (0 when it is gone).
double cpu_seconds_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) // fields 3..13 come before utime (14) and stime (15)
        fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

// This process's resident memory now, from /proc/self/statm.
double current_rss_mib() {
    std::ifstream in("/proc/self/statm");
    long long pages_total = 0, pages_resident = 0;
    in >> pages_total >> pages_resident;
    return double(pages_resident) * double(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

// Runs the event loop for `ms`, sleeping in it as the app does, not spinning.
void spin(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, Qt::PreciseTimer, &loop, &QEventLoop::quit);
    loop.exec();
}

struct Options {
    bool threads = false;
    int processes = 8;
    int load_seconds = 20;
    int idle_seconds = 90;
    std::string json = "gui-bench.json";
    std::string screenshot = "gui-bench-load.png";
    // Exports the statistics as JSON every `export_every_ms` under load: "sync" on the GUI
    // thread (the old File menu), "background" as the File menu does now, "none".
    std::string export_mode = "none";
    int export_every_ms = 2000;
    int history_samples = 10000; // the history is filled to this many samples before exporting
    int rss_every_s = 10;        // the app's resident memory is sampled this often under load
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--pool")
            o.threads = v == "threads";
        else if (k == "--processes")
            o.processes = std::stoi(v);
        else if (k == "--load-seconds")
            o.load_seconds = std::stoi(v);
        else if (k == "--idle-seconds")
            o.idle_seconds = std::stoi(v);
        else if (k == "--json")
            o.json = v;
        else if (k == "--screenshot")
            o.screenshot = v;
        else if (k == "--export")
            o.export_mode = v;
        else if (k == "--export-every-ms")
            o.export_every_ms = std::stoi(v);
        else if (k == "--history-samples")
            o.history_samples = std::stoi(v);
        else if (k == "--rss-every-s")
            o.rss_every_s = std::max(1, std::stoi(v));
        else
            throw std::invalid_argument("unknown option " + k);
    }
    return o;
}

// Lateness of a 1 ms timer on the GUI thread, and the replots that happened meanwhile.
class LoopProbe : public QObject {
public:
    explicit LoopProbe(const std::vector<ChartView*>& charts) : charts_(charts) {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(1);
        connect(&timer_, &QTimer::timeout, this, [this] { tick(); });
        for (ChartView* c : charts_)
            seen_[c] = c->replotCount();
    }
    void start() {
        clock_.start();
        last_ = clock_.nsecsElapsed();
        timer_.start();
    }
    void stop() { timer_.stop(); }

    std::vector<double> lateness_ms;
    std::map<ChartView*, std::vector<double>> replot_ms;

private:
    void tick() {
        const qint64 now = clock_.nsecsElapsed();
        lateness_ms.push_back(std::max(0.0, double(now - last_) / 1e6 - 1.0));
        last_ = now;
        for (ChartView* c : charts_) {
            const int count = c->replotCount();
            if (count != seen_[c]) {
                seen_[c] = count;
                replot_ms[c].push_back(c->lastReplotMs());
            }
        }
    }
    std::vector<ChartView*> charts_;
    std::map<ChartView*, int> seen_;
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
};

} // namespace

int main(int argc, char** argv) {
    poolcore::run_worker_if_requested(argc, argv);
    auto forkserver = poolcore::ForkServer::start(); // before Qt's threads, as the app does
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PoolscopeBench")); // not the user's settings
    const Options opt = parse(argc, argv);

    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    // The Jobs list in front: its page sits in the lower dock's tabs (a QTabWidget's stack).
    QWidget* jobs = window.jobsPage();
    if (auto* tabs = jobs->parentWidget()
                         ? qobject_cast<QTabWidget*>(jobs->parentWidget()->parentWidget())
                         : nullptr)
        tabs->setCurrentWidget(jobs);
    if (!jobs->isVisible()) {
        std::fprintf(stderr, "the Jobs list is not visible\n");
        return 1;
    }
    spin(500);

    poolcore::PoolOptions options;
    options.processes = opt.processes;
    options.threads = opt.threads;
    options.start_method = poolcore::StartMethod::Forkserver;
    options.forkserver = forkserver;
    window.settingsPage()->setOptions(options);
    if (!window.startPool()) {
        std::fprintf(stderr, "the pool did not start\n");
        return 1;
    }
    QElapsedTimer wait;
    wait.start();
    while (window.controller().lastSnapshot().alive_processes < opt.processes &&
           wait.elapsed() < 10000)
        spin(20);

    // Full load: a burst far longer than the run, which the generator keeps topped up.
    LoadSpec load;
    load.task = "noop";
    load.mode = LoadSpec::Mode::Burst;
    load.burst_jobs = 1'000'000'000;
    QString error;
    if (!window.generator().start(load, &error)) {
        std::fprintf(stderr, "load: %s\n", qPrintable(error));
        return 1;
    }
    spin(2000); // past the ramp
    const bool exporting = opt.export_mode != "none";
    if (exporting) {
        // A history as long as a long session's, sampled fast so the bench need not run for it.
        const auto interval = window.controller().sampleInterval();
        window.controller().setSampleInterval(std::chrono::milliseconds(1));
        while (window.history().samples().size() < std::size_t(opt.history_samples) &&
               wait.elapsed() < 600000)
            spin(100);
        window.controller().setSampleInterval(interval);
    }
    const std::string export_path = opt.json + ".export.json";
    int exports = 0;

    std::vector<pid_t> workers;
    for (const auto& w : window.controller().lastSnapshot().workers)
        workers.push_back(w.pid);
    auto workers_cpu = [&] {
        double s = 0;
        for (pid_t p : workers)
            s += cpu_seconds_of(p);
        return s;
    };

    LoopProbe probe(window.charts());
    const long long done0 = window.generator().completed();
    std::map<ChartView*, int> replots0;
    for (ChartView* c : window.charts())
        replots0[c] = c->replotCount();
    const double app0 = cpu_seconds_self(), workers0 = workers_cpu();
    int busy_samples = 0, samples = 0;
    probe.start();
    QElapsedTimer phase;
    phase.start();
    qint64 next_export = opt.export_every_ms;
    qint64 next_rss = 0;
    nlohmann::json rss_over_time = nlohmann::json::array(); // [seconds into the load, MiB]
    while (phase.elapsed() < opt.load_seconds * 1000) {
        spin(100);
        if (phase.elapsed() >= next_rss) {
            next_rss += qint64(opt.rss_every_s) * 1000;
            rss_over_time.push_back({double(phase.elapsed()) / 1000, current_rss_mib()});
        }
        if (exporting && phase.elapsed() >= next_export) {
            next_export += opt.export_every_ms;
            const QString path = QString::fromStdString(export_path);
            QString export_error;
            const bool ok = opt.export_mode == "sync"
                                ? window.exportStatistics(path, &export_error)
                                : window.exportStatisticsInBackground(path, &export_error);
            exports += ok;
        }
        const auto& s = window.controller().lastSnapshot();
        ++samples;
        busy_samples += s.busy_processes == opt.processes;
    }
    const double load_s = double(phase.elapsed()) / 1000;
    probe.stop();
    // Still under load, but outside the measurement: grabbing the window takes tens of ms.
    window.grab().save(QString::fromStdString(opt.screenshot));
    const double app_load = (cpu_seconds_self() - app0) / load_s;
    const double workers_load = (workers_cpu() - workers0) / load_s;
    const double jobs_per_s = double(window.generator().completed() - done0) / load_s;
    rusage self_usage{};
    ::getrusage(RUSAGE_SELF, &self_usage);
    const double peak_rss_mib = double(self_usage.ru_maxrss) / 1024.0;
    const double rss_mib = current_rss_mib();

    nlohmann::json charts = nlohmann::json::object();
    for (ChartView* c : window.charts()) {
        const auto& times = probe.replot_ms[c];
        double sum = 0;
        for (double t : times)
            sum += t;
        charts[c->title().toStdString()] = {
            {"replots_per_s", double(c->replotCount() - replots0[c]) / load_s},
            {"replot_ms_mean", times.empty() ? 0 : sum / double(times.size())},
            {"replot_ms_p99", percentile(times, 0.99)},
        };
    }
    const auto& late = probe.lateness_ms;
    nlohmann::json result = {
        {"pool", opt.threads ? "threads" : "event-loop"},
        {"processes", opt.processes},
        {"load",
         {{"seconds", load_s},
          {"jobs_per_s", jobs_per_s},
          {"all_workers_busy_fraction", samples ? double(busy_samples) / samples : 0},
          {"stall_ms",
           {{"p50", percentile(late, 0.5)},
            {"p99", percentile(late, 0.99)},
            {"max", late.empty() ? 0 : *std::max_element(late.begin(), late.end())}}},
          {"stalls_over_16ms",
           std::count_if(late.begin(), late.end(), [](double l) { return l > 16; })},
          {"ticks", late.size()},
          {"export",
           {{"mode", opt.export_mode},
            {"count", exports},
            {"history_samples", window.history().samples().size()}}},
          {"app_cpu_cores", app_load},
          {"app_rss_mib", rss_mib},
          {"app_peak_rss_mib", peak_rss_mib},
          {"app_rss_mib_over_time", rss_over_time},
          {"workers_cpu_cores", workers_load},
          {"charts", charts}}},
    };

    // Idle: the load stops, the pool drains, eight workers sit idle. The charts' first minute
    // (their flat lines still growing across the window) is reported apart from what follows.
    window.generator().stop();
    spin(2000);
    const int first = std::min(opt.idle_seconds, 60);
    double t0 = cpu_seconds_self();
    phase.restart();
    while (phase.elapsed() < first * 1000)
        spin(200);
    const double idle_first =
        first > 0 ? (cpu_seconds_self() - t0) / (double(phase.elapsed()) / 1000) : -1;
    double idle_after = -1;
    if (opt.idle_seconds > 60) {
        t0 = cpu_seconds_self();
        phase.restart();
        while (phase.elapsed() < (opt.idle_seconds - 60) * 1000)
            spin(200);
        idle_after = (cpu_seconds_self() - t0) / (double(phase.elapsed()) / 1000);
    }
    result["idle"] = {{"first_minute_app_cpu_cores", idle_first},
                      {"after_first_minute_app_cpu_cores", idle_after}};

    std::ofstream(opt.json) << result.dump(1) << "\n";
    std::printf("pool %s, %d workers, full no-op load for %.0f s: %.0f jobs/s, all workers busy "
                "%.0f%% of samples\n",
                opt.threads ? "threads" : "event-loop", opt.processes, load_s, jobs_per_s,
                100.0 * (samples ? double(busy_samples) / samples : 0));
    std::printf("event-loop stalls (1 ms timer lateness): p50 %.2f ms, p99 %.2f ms, max %.1f ms, "
                "%lld of %zu ticks over 16 ms\n",
                percentile(late, 0.5), percentile(late, 0.99),
                late.empty() ? 0 : *std::max_element(late.begin(), late.end()),
                (long long)result["load"]["stalls_over_16ms"].get<long>(), late.size());
    if (exporting)
        std::printf("with %d JSON exports (%s) of a %zu-sample history under load\n", exports,
                    opt.export_mode.c_str(), window.history().samples().size());
    std::printf("CPU under load: app %.2f cores, workers %.2f cores\n", app_load, workers_load);
    std::printf("app memory at the end of the load: %.1f MiB resident, peak %.1f MiB\n", rss_mib,
                peak_rss_mib);
    // Past the first minute the job ring and the per-second aggregates are full: what grows
    // after that is what is not bounded.
    double rss_at_minute = -1;
    for (const auto& sample : rss_over_time)
        if (sample[0].get<double>() >= 60) {
            rss_at_minute = sample[1].get<double>();
            break;
        }
    if (rss_at_minute >= 0)
        std::printf("app memory after the first minute of load: %.1f MiB; at the end %.1f MiB "
                    "(%+.1f MiB over %.0f s)\n",
                    rss_at_minute, rss_mib, rss_mib - rss_at_minute, load_s - 60);
    if (idle_first >= 0) {
        std::printf("CPU idle (%d workers): app %.2f%% of a core in the first minute",
                    opt.processes, 100 * idle_first);
        if (idle_after >= 0)
            std::printf(", %.2f%% after it", 100 * idle_after);
        std::printf("\n");
    }
    std::printf("\n| chart | replots/s | replot mean | replot p99 |\n|---|---:|---:|---:|\n");
    for (auto& [title, c] : charts.items())
        std::printf("| %s | %.1f | %.2f ms | %.2f ms |\n", title.c_str(),
                    c["replots_per_s"].get<double>(), c["replot_ms_mean"].get<double>(),
                    c["replot_ms_p99"].get<double>());
    window.controller().terminate();
    spin(500);
    return 0;
}
