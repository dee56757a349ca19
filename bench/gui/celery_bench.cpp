// SPDX-License-Identifier: GPL-3.0-or-later
// poolscope-celery-bench: the real main window watching a real Celery worker pushed as hard as it
// goes, measuring how many Celery events per second the Celery source ingests while the GUI
// loop's stalls (lateness of a 1 ms timer) stay under 16 ms at p99. It starts redis-server and
// the worker itself (tests/celery_cluster.h, the `celery` tests' harness), pre-fills the task
// queue, keeps producers sending while it measures, and stops everything it started.
//
//   poolscope-celery-bench [--seconds 20] [--concurrency 2] [--prefill 20000] [--producers 2]
//                          [--producer-nice 10] [--workers 1] [--mixed 0|1]
//                          [--json PATH] [--screenshot PATH]
#include "celery_cluster.h"
#include "ui/main_window.h"
#include "ui/pages/celery_page.h"
#include "ui/sources/celery_source.h"
#include "ui/sources/pool_controller.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/resource.h>
#include <time.h>
#include <vector>

using namespace poolscope;

namespace {

struct Options {
    int seconds = 20;
    int concurrency = 2;
    int prefill = 20000;
    int producers = 2;
    int producer_nice = 10; // the load harness yields to the window and the worker under test
    int workers = 1;
    bool mixed = false; // the prefill as tests/celery_app.py's `send` mixes it, for a screenshot
    std::string json;
    std::string screenshot;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--seconds")
            o.seconds = std::stoi(v);
        else if (k == "--concurrency")
            o.concurrency = std::stoi(v);
        else if (k == "--prefill")
            o.prefill = std::stoi(v);
        else if (k == "--producers")
            o.producers = std::stoi(v);
        else if (k == "--producer-nice")
            o.producer_nice = std::stoi(v);
        else if (k == "--workers")
            o.workers = std::stoi(v);
        else if (k == "--mixed")
            o.mixed = v == "1" || v == "yes" || v == "true";
        else if (k == "--json")
            o.json = v;
        else if (k == "--screenshot")
            o.screenshot = v;
        else
            throw std::invalid_argument("unknown option " + k);
    }
    return o;
}

void spin(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, Qt::PreciseTimer, &loop, &QEventLoop::quit);
    loop.exec();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

double threadCpuMs() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// How late each tick of a 1 ms timer came, and how much of that gap the GUI thread spent
// computing (the rest it waited for a CPU: on a shared machine, the machine's doing).
struct Probe {
    std::vector<double> lateness_ms;
    std::vector<double> busy_ms;
};

// Runs the GUI loop for `ms` with a 1 ms precise timer on it.
Probe probeLoop(int ms) {
    Probe out;
    std::vector<double>& lateness_ms = out.lateness_ms;
    double last_cpu = threadCpuMs();
    QElapsedTimer clock;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    qint64 last = 0;
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        lateness_ms.push_back(std::max(0.0, double(now - last) / 1e6 - 1.0));
        last = now;
        const double cpu = threadCpuMs();
        out.busy_ms.push_back(cpu - last_cpu);
        last_cpu = cpu;
    });
    clock.start();
    probe.start();
    spin(ms);
    probe.stop();
    return out;
}

// CPU seconds the calling thread (the GUI thread) has used.
double threadCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

const celery::ClusterState* clusterOf(MainWindow& window) {
    const auto* source = dynamic_cast<const CelerySource*>(window.controller().source());
    return source ? &source->client().state() : nullptr;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PoolscopeBench")); // not the user's settings
    const Options opt = parse(argc, argv);
    if (const QString missing = celerytest::missing_packages(); !missing.isEmpty()) {
        std::fprintf(stderr, "poolscope-celery-bench needs the real thing: %s\n",
                     qPrintable(missing));
        return 77;
    }
    celerytest::Cluster cluster;
    if (!cluster.start_redis()) {
        std::fprintf(stderr, "redis-server did not start\n");
        return 1;
    }
    // The queue first, so that the worker never waits for a task once it runs.
    std::fprintf(stderr, "queueing %d tasks...\n", opt.prefill);
    cluster.python(opt.mixed
                       ? QStringLiteral("for i in range(%1):\n"
                                        "    if i % 10 == 9: fail.delay('task %d fails on "
                                        "purpose' % i)\n"
                                        "    elif i % 3 == 0: sleep.delay(0.05 * (i % 7))\n"
                                        "    else: add.delay(i, i)\n")
                             .arg(opt.prefill)
                       : QStringLiteral("for i in range(%1): add.delay(i, i)").arg(opt.prefill));

    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    if (!window.connectToCelery(cluster.url()))
        return 1;
    spin(500);
    // The machine's own noise: the same window, connected, with nothing happening.
    const std::vector<double> idle = probeLoop(5000).lateness_ms;
    for (int i = 1; i <= opt.workers; ++i)
        if (!cluster.start_worker(QStringLiteral("bench%1").arg(i),
                                  {QStringLiteral("-c"), QString::number(opt.concurrency)}))
            return 1;
    QElapsedTimer wait;
    wait.start();
    while ((!clusterOf(window) || clusterOf(window)->online_workers() < opt.workers) &&
           wait.elapsed() < 90000)
        spin(50);
    if (!clusterOf(window) || clusterOf(window)->online_workers() < opt.workers) {
        std::fprintf(stderr, "the worker did not come online (log in %s)\n",
                     qPrintable(cluster.log_dir()));
        return 1;
    }
    // Producers that keep the queue full for the whole measurement, as a busy site's would.
    std::vector<std::unique_ptr<QProcess>> producers;
    for (int i = 0; i < opt.producers; ++i) {
        auto p = std::make_unique<QProcess>();
        p->setWorkingDirectory(QStringLiteral(POOLSCOPE_TESTS_DIR));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CELERY_BROKER_URL"), cluster.url());
        env.remove(QStringLiteral("PYTHONPATH"));
        p->setProcessEnvironment(env);
        p->start(QStringLiteral("nice"),
                 {QStringLiteral("-n"), QString::number(opt.producer_nice), celerytest::kPython,
                  QStringLiteral("-c"),
                  QStringLiteral("from celery_app import *\nimport time\nend = time.time() + %1\n"
                                 "while time.time() < end:\n    add.delay(1, 2)\n")
                      .arg(opt.seconds + 15)});
        producers.push_back(std::move(p));
    }
    spin(3000); // the worker at full speed, the window caught up

    // The measurement: a 1 ms precise timer's lateness on the GUI thread, and the events the
    // Celery source took in meanwhile.
    const celery::ClusterState* state = clusterOf(window);
    const std::uint64_t events_before = state->events_seen();
    const std::uint64_t done_before = state->count(poolcore::Outcome::Success);
    const std::uint64_t bad_before = state->bad_messages();
    QElapsedTimer clock;
    clock.start();
    const double cpu_before = threadCpuSeconds();
    const Probe measured = probeLoop(opt.seconds * 1000);
    const std::vector<double>& lateness_ms = measured.lateness_ms;
    const double gui_cpu = threadCpuSeconds() - cpu_before;
    const double elapsed = double(clock.nsecsElapsed()) / 1e9;
    const double gui_cpu_share = gui_cpu / elapsed;
    state = clusterOf(window);
    const double events_per_s = double(state->events_seen() - events_before) / elapsed;
    const double tasks_per_s =
        double(state->count(poolcore::Outcome::Success) - done_before) / elapsed;
    const std::uint64_t bad = state->bad_messages() - bad_before;
    const std::uint64_t queue = state->queue_depth();
    const double p50 = percentile(lateness_ms, 0.50), p99 = percentile(lateness_ms, 0.99);
    const double max =
        lateness_ms.empty() ? 0 : *std::max_element(lateness_ms.begin(), lateness_ms.end());
    const auto over16 =
        std::count_if(lateness_ms.begin(), lateness_ms.end(), [](double ms) { return ms > 16.0; });
    // Of the late ticks, those the app itself caused: the GUI thread computed for most of the
    // gap (rather than waiting for one of the machine's two cores).
    std::size_t own_over16 = 0;
    for (std::size_t i = 0; i < lateness_ms.size(); ++i)
        own_over16 += lateness_ms[i] > 16.0 && measured.busy_ms[i] > 16.0;
    const double busy_p99 = percentile(measured.busy_ms, 0.99);
    const double busy_max = measured.busy_ms.empty() ? 0
                                                     : *std::max_element(measured.busy_ms.begin(),
                                                                         measured.busy_ms.end());
    if (!opt.screenshot.empty()) {
        window.tabs()->setCurrentWidget(window.celeryPage());
        window.grab().save(QString::fromStdString(opt.screenshot));
    }
    for (auto& p : producers)
        p->kill();
    for (auto& p : producers)
        p->waitForFinished(5000);
    window.controller().shutDown(std::chrono::seconds(5));

    std::printf("Celery source, %d worker(s) -P prefork -c %d -E pushed by a full queue and %d "
                "producers (nice %d), %d s:\n",
                opt.workers, opt.concurrency, opt.producers, opt.producer_nice, opt.seconds);
    std::printf("  events ingested     %.0f events/s (%.0f tasks/s succeeded; %llu unreadable; "
                "queue depth at the end %llu)\n",
                events_per_s, tasks_per_s, (unsigned long long)bad, (unsigned long long)queue);
    std::printf("  GUI loop stalls     p50 %.2f ms, p99 %.2f ms, max %.1f ms; %lld of %zu ticks "
                "over 16 ms -> %s\n",
                p50, p99, max, (long long)over16, lateness_ms.size(),
                p99 < 16.0 ? "p99 under 16 ms" : "p99 OVER 16 ms");
    std::printf("  GUI thread's own work between ticks  p99 %.2f ms, max %.1f ms; %zu of the "
                "ticks over 16 ms had the GUI thread computing > 16 ms\n",
                busy_p99, busy_max, own_over16);
    std::printf("  GUI thread CPU      %.0f %% of a core; the idle window before the load: p99 "
                "%.2f ms, max %.1f ms (the machine's own noise)\n",
                100 * gui_cpu_share, percentile(idle, 0.99),
                idle.empty() ? 0 : *std::max_element(idle.begin(), idle.end()));
    if (!opt.json.empty()) {
        nlohmann::json j = {
            {"seconds", elapsed},
            {"workers", opt.workers},
            {"concurrency", opt.concurrency},
            {"producers", opt.producers},
            {"producer_nice", opt.producer_nice},
            {"events_per_s", events_per_s},
            {"tasks_per_s", tasks_per_s},
            {"unreadable", bad},
            {"queue_depth_end", queue},
            {"stall_ms", {{"p50", p50}, {"p99", p99}, {"max", max}}},
            {"ticks", lateness_ms.size()},
            {"gui_thread_cpu_share", gui_cpu_share},
            {"gui_busy_ms", {{"p99", busy_p99}, {"max", busy_max}}},
            {"ticks_over_16ms_own", own_over16},
            {"idle_stall_ms",
             {{"p99", percentile(idle, 0.99)},
              {"max", idle.empty() ? 0 : *std::max_element(idle.begin(), idle.end())}}},
            {"ticks_over_16ms", over16}};
        std::ofstream(opt.json) << j.dump(2) << "\n";
    }
    return p99 < 16.0 ? 0 : 3;
}
