// SPDX-License-Identifier: GPL-3.0-or-later
// The pool in a hostile environment: a low descriptor limit under every start method, a process
// out of descriptors when the forkserver hands a worker over, a low process limit for an
// unprivileged user, a stopped forkserver. Real limits
// (setrlimit, here or in the app's process), real signals, the real app.
#include "platform/posix/forkserver_client.h"
#include "platform/posix/posix_process.h"
#include "pool_harness.h"
#include "pool_test_tasks.h"
#include "poolcore/forkserver.h"
#include "process_util.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <dirent.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <set>
#include <sys/resource.h>
#include <system_error>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

namespace {

// Lowers this process's soft descriptor limit for as long as it lives.
class LoweredDescriptorLimit {
public:
    explicit LoweredDescriptorLimit(int soft) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        rlimit lowered = saved_;
        lowered.rlim_cur = rlim_t(soft);
        applied_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
    }
    ~LoweredDescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    LoweredDescriptorLimit(const LoweredDescriptorLimit&) = delete;
    LoweredDescriptorLimit& operator=(const LoweredDescriptorLimit&) = delete;
    bool applied() const { return applied_; }

private:
    rlimit saved_{};
    bool applied_ = false;
};

// The processes whose parent is `parent`, zombies included.
std::set<pid_t> children_of(pid_t parent) {
    std::set<pid_t> children;
    DIR* proc = ::opendir("/proc");
    while (const dirent* entry = proc ? ::readdir(proc) : nullptr) {
        const pid_t pid = pid_t(std::atoi(entry->d_name));
        if (pid > 0 && testutil::parent_of(pid) == parent)
            children.insert(pid);
    }
    if (proc)
        ::closedir(proc);
    return children;
}

struct AppRun {
    bool finished = false;
    int exit_code = -1;
    nlohmann::json report;
    std::string err;
};

// The app as a user runs it, headless, under RLIMIT_NOFILE `nofile` (soft and hard, set in the
// child before exec, as `prlimit --nofile=N` does).
AppRun run_app_with_descriptor_limit(int nofile, const QStringList& args) {
    QProcess app;
    app.setChildProcessModifier([nofile] {
        const rlimit limit{rlim_t(nofile), rlim_t(nofile)};
        ::setrlimit(RLIMIT_NOFILE, &limit);
    });
    app.start(QStringLiteral(POOLSCOPE_APP),
              QStringList{"--headless", "--json", "--verbose"} << args);
    AppRun run;
    // Far past what the run needs, and past its own --timeout: a retry loop shows as a timeout.
    run.finished = app.waitForFinished(120000);
    if (!run.finished) {
        app.kill();
        app.waitForFinished();
    }
    run.exit_code = app.exitCode();
    run.err = app.readAllStandardError().toStdString();
    const std::string out = app.readAllStandardOutput().toStdString();
    if (!out.empty())
        run.report = nlohmann::json::parse(out, nullptr, false);
    return run;
}

// The processes whose real user is `uid`, as /proc shows them now.
std::set<pid_t> processes_of(uid_t uid) {
    std::set<pid_t> found;
    DIR* proc = ::opendir("/proc");
    while (const dirent* entry = proc ? ::readdir(proc) : nullptr) {
        const pid_t pid = pid_t(std::atoi(entry->d_name));
        if (pid <= 0)
            continue;
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("Uid:", 0) == 0) {
                if (uid_t(std::stoul(line.substr(4))) == uid)
                    found.insert(pid);
                break;
            }
    }
    if (proc)
        ::closedir(proc);
    return found;
}

int occurrences(const std::string& text, const std::string& fragment) {
    int n = 0;
    for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + 1))
        ++n;
    return n;
}

} // namespace

class TestPoolEnvironment : public QObject {
    Q_OBJECT

private slots:
    void everyStartMethodWorksWithinALowDescriptorLimit_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("nofile");
        QTest::addColumn<int>("processes");
        for (const char* method : {"forkserver", "spawn", "fork"}) {
            // At and below where descriptors used to be parked (64 and 16), with room for all.
            for (int nofile : {64, 32, 16})
                QTest::newRow((std::string(method) + "/nofile=" + std::to_string(nofile)).c_str())
                    << method << nofile << 2;
            // More workers asked for than the limit holds: the ones that fit do every job.
            QTest::newRow((std::string(method) + "/nofile=64/processes=40").c_str())
                << method << 64 << 40;
        }
    }
    void everyStartMethodWorksWithinALowDescriptorLimit() {
        QFETCH(QString, method);
        QFETCH(int, nofile);
        QFETCH(int, processes);
        const AppRun run = run_app_with_descriptor_limit(
            nofile, {"--processes", QString::number(processes), "--start-method", method, "--count",
                     "2000", "--timeout", "30"});
        QVERIFY2(run.finished, run.err.c_str());
        QVERIFY2(run.report.is_object(), run.err.c_str());
        QCOMPARE(run.report["succeeded"].get<int>(), 2000);
        QCOMPARE(run.report["lost"].get<int>(), 0);
        // No worker started in a loop, none lost: each that started ran until the stop.
        const int started = run.report["workers_started"].get<int>();
        QVERIFY2(started >= 1 && started <= processes, run.err.c_str());
        QCOMPARE(run.report["workers_exited"].get<int>(), started);
        QVERIFY2(run.err.find("started a new forkserver") == std::string::npos, run.err.c_str());
        // The app calls a run whose pool never had every worker it asked for a failed start.
        QCOMPARE(run.exit_code, started == processes ? 0 : 1);
        QCOMPARE(run.report["did_start_ok"].get<bool>(), started == processes);
        if (started < processes) {
            // Said up front with the maximum, and the shortage itself said once.
            QVERIFY2(run.err.find("RLIMIT_NOFILE allows this process " + std::to_string(nofile) +
                                  " descriptors") != std::string::npos,
                     run.err.c_str());
            QVERIFY2(run.err.find(" of the " + std::to_string(processes) +
                                  " processes asked for can run") != std::string::npos,
                     run.err.c_str());
            QVERIFY2(occurrences(run.err, "could not start a worker") == 1, run.err.c_str());
        } else {
            QVERIFY2(run.err.find("could not start a worker") == std::string::npos,
                     run.err.c_str());
        }
    }

    void aLimitWithNoRoomForAWorkerFailsAtOnceSayingWhy_data() {
        QTest::addColumn<QString>("method");
        for (const char* method : {"forkserver", "spawn", "fork"})
            QTest::newRow(method) << method;
    }
    void aLimitWithNoRoomForAWorkerFailsAtOnceSayingWhy() {
        QFETCH(QString, method);
        // Upwards from a limit the app itself barely fits in (what it inherits varies with who
        // runs it): each run does every job, or ends at once and says what ran out; and where
        // the pool gets as far as starting, it refuses with the count.
        int refusals = 0;
        for (int nofile = 4; nofile <= 12; ++nofile) {
            QElapsedTimer clock;
            clock.start();
            const AppRun run =
                run_app_with_descriptor_limit(nofile, {"--processes", "1", "--start-method", method,
                                                       "--count", "10", "--timeout", "30"});
            const std::string where = "nofile=" + std::to_string(nofile) + ": " + run.err;
            QVERIFY2(run.finished, where.c_str());
            if (run.exit_code ==
                127) // the loader could not open the app's libraries: none of it ran
                continue;
            if (run.exit_code == 0) {
                QCOMPARE(run.report["succeeded"].get<int>(), 10);
                continue;
            }
            QCOMPARE(run.exit_code, 1);
            QVERIFY2(clock.elapsed() < 20000, where.c_str()); // not retried until the timeout
            QVERIFY2(run.err.find("Too many open files") != std::string::npos ||
                         run.err.find("RLIMIT_NOFILE") != std::string::npos,
                     where.c_str());
            if (run.err.find("no worker can start") != std::string::npos) {
                QVERIFY2(run.err.find("RLIMIT_NOFILE allows th") != std::string::npos,
                         where.c_str());
                ++refusals;
            }
        }
        QVERIFY(refusals >= 1);
    }

    void aForkserverReplyWithoutRoomForItsDescriptorsKeepsTheServerAndItsWorkers() {
        auto server = ForkServer::start(); // its own, not the one the other tests share
        const pid_t server_pid = server->pid();
        std::vector<std::string> notices;
        const auto notice = [&](const std::string& text) { notices.push_back(text); };
        LaunchedWorker kept = server->client().launch(WorkerSettings{}, notice);
        QVERIFY(kept.pid > 0);

        std::string refusal;
        {
            // Room for one of the two descriptors a reply carries: the kernel truncates it.
            LoweredDescriptorLimit limit(posix::descriptors_in_use() + 8);
            QVERIFY(limit.applied());
            std::vector<UniqueFd> filler;
            for (int fd; (fd = ::dup(0)) >= 0;)
                filler.emplace_back(fd);
            QCOMPARE(errno, EMFILE);
            QVERIFY(!filler.empty());
            filler.pop_back();
            try {
                server->client().launch(WorkerSettings{}, notice);
            } catch (const std::system_error& e) {
                QCOMPARE(e.code().value(), EMFILE);
                refusal = e.what();
            } catch (const std::exception& e) {
                QFAIL(e.what());
            }
        }
        QVERIFY2(refusal.find("no free descriptor") != std::string::npos &&
                     refusal.find("RLIMIT_NOFILE") != std::string::npos,
                 refusal.c_str());
        // The server and its worker live on, and the worker forked for nothing is gone.
        QCOMPARE(server->pid(), server_pid);
        QVERIFY(!testutil::process_gone(server_pid));
        QVERIFY(!testutil::process_gone(kept.pid));
        QVERIFY(notices.empty());
        QElapsedTimer clock;
        clock.start();
        while (children_of(server_pid) != std::set<pid_t>{kept.pid} && clock.elapsed() < 10000)
            QTest::qWait(10);
        QCOMPARE(children_of(server_pid), std::set<pid_t>{kept.pid});
        // And it still serves.
        LaunchedWorker next = server->client().launch(WorkerSettings{}, notice);
        QVERIFY(next.pid > 0);
        QCOMPARE(server->pid(), server_pid);
        for (LaunchedWorker* w : {&kept, &next}) {
            w->channel.reset(); // EOF: the worker exits, and the server says how
            QVERIFY(posix::ForkServerClient::read_exit_status(w->exit_fd.get(), 10s).known);
        }
    }

    // RLIMIT_NPROC binds an unprivileged user (root is exempt, and CI runs as root): the app runs
    // as nobody with room for a few processes of 8 asked for. The refused start is told once,
    // the workers that could start run every job, and the run ends leaving nothing, with exit 1
    // as any run whose pool did not fully start does (README, "Headless runs").
    void aLowProcessLimitRunsEveryJobOnTheWorkersItAllows_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("pool");
        QTest::addColumn<QString>("refusal");
        QTest::newRow("fork/async") << "fork"
                                    << "async"
                                    << "fork: Resource temporarily unavailable";
        QTest::newRow("forkserver/async") << "forkserver"
                                          << "async"
                                          << "forkserver: starting a worker: Resource temporarily";
        QTest::newRow("spawn/async") << "spawn"
                                     << "async"
                                     << "posix_spawn: Resource temporarily unavailable";
        QTest::newRow("forkserver/blocking")
            << "forkserver"
            << "blocking"
            << "forkserver: starting a worker: Resource temporarily";
        QTest::newRow("spawn/blocking") << "spawn"
                                        << "blocking"
                                        << "posix_spawn: Resource temporarily unavailable";
    }
    void aLowProcessLimitRunsEveryJobOnTheWorkersItAllows() {
        QFETCH(QString, method);
        QFETCH(QString, pool);
        QFETCH(QString, refusal);
        const QString setpriv = QStringLiteral("/usr/bin/setpriv");
        if (!QFileInfo(setpriv).isExecutable())
            QSKIP("setpriv (util-linux) is missing: it runs the app as nobody, as a process limit "
                  "binds no root process");
        if (::geteuid() != 0)
            QSKIP("becoming nobody for the process limit (setpriv --reuid) needs root; as an "
                  "unprivileged user the limit would count every process this user runs");
        const passwd* nobody = ::getpwnam("nobody");
        QVERIFY(nobody);
        // Copies nobody can reach and run, wherever the build tree lies (/root is 0700).
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QFile::setPermissions(
            dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                            QFileDevice::ReadOther | QFileDevice::ExeOther));
        const QString app = dir.filePath("poolscope");
        const QString built_worker =
            QFileInfo(QStringLiteral(POOLSCOPE_APP)).dir().filePath("poolscope-worker");
        QVERIFY(QFile::copy(QStringLiteral(POOLSCOPE_APP), app));
        QVERIFY(QFile::copy(built_worker, dir.filePath("poolscope-worker")));

        const std::set<pid_t> nobody_before = processes_of(nobody->pw_uid);
        const int processes_allowed = 6; // the app, its threads and a few workers
        QProcess run;
        run.setWorkingDirectory(dir.path());
        run.setChildProcessModifier([processes_allowed] {
            // Kept through setpriv's exec; it binds once the user is nobody.
            const rlimit limit{rlim_t(processes_allowed), rlim_t(processes_allowed)};
            ::setrlimit(RLIMIT_NPROC, &limit);
        });
        run.start(setpriv, {"--reuid=nobody", "--regid=nogroup", "--clear-groups", app,
                            "--headless", "--json", "--processes", "8", "--count", "300",
                            "--start-method", method, "--pool", pool});
        QVERIFY(run.waitForFinished(120000));
        const std::string err = run.readAllStandardError().toStdString();
        QCOMPARE(run.exitStatus(), QProcess::NormalExit);
        QVERIFY2(run.exitCode() == 1, err.c_str());
        const auto report =
            nlohmann::json::parse(run.readAllStandardOutput().toStdString(), nullptr, false);
        QVERIFY2(report.is_object(), err.c_str());
        QCOMPARE(report["submitted"].get<int>(), 300);
        QCOMPARE(report["succeeded"].get<int>(), 300);
        QCOMPARE(report["did_start_ok"].get<bool>(), false);
        const auto running = report["info"]["processes"].size();
        QVERIFY2(running >= 1 && running < 8, report.dump().c_str());
        QVERIFY2(occurrences(err, refusal.toStdString()) == 1, err.c_str());
        QVERIFY2(occurrences(err, "trying again every 1 s") == 1, err.c_str());
        // Everything the run started as nobody ended with it.
        QVERIFY(
            QTest::qWaitFor([&] { return processes_of(nobody->pw_uid) == nobody_before; }, 10000));
    }

    void aStoppedForkserversWorkersAreSeenToExitAndTheServerIsNamed_data() { add_pool_kind_rows(); }
    void aStoppedForkserversWorkersAreSeenToExitAndTheServerIsNamed() {
        QFETCH(bool, threads);
        PoolOptions o = options(2);
        o.start_method = StartMethod::Forkserver;
        o.forkserver = ForkServer::start();
        PoolUnderTest p(o, PoolVariant{"", threads, StartMethod::Forkserver});
        QVERIFY(p.start());
        const pid_t server = o.forkserver->pid();
        const pid_t victim = *p.pids().begin();
        QVERIFY(::kill(server, SIGSTOP) == 0);
        struct Resume {
            pid_t pid;
            ~Resume() { ::kill(pid, SIGCONT); }
        } resume{server};

        // Its exit reaches the stopped server only; the pool sees it all the same.
        QVERIFY(p.pool.kill_worker(victim, SIGKILL));
        const auto victim_exit = [&]() -> std::optional<Recorder::Exit> {
            for (const auto& e : p.recorder.exit_list())
                if (e.pid == victim)
                    return e;
            return std::nullopt;
        };
        QVERIFY(p.wait_for([&] { return victim_exit().has_value(); }, 20s));
        QVERIFY(victim_exit()->status.known);
        QVERIFY(victim_exit()->status.signaled);
        QCOMPARE(victim_exit()->status.code, SIGKILL);
        QVERIFY(p.wait_for(
            [&] {
                return p.recorder.said("the forkserver (pid " + std::to_string(server) +
                                       ") is T (stopped)");
            },
            10s));

        // Running again (or replaced, when a start needed it first), it serves the pool.
        ::kill(server, SIGCONT);
        QVERIFY(p.wait_alive(2, 30s));
        const int after = p.submit("echo", "still works");
        QVERIFY(p.wait_results(1));
        QCOMPARE(p.result(after).value, std::string("still works"));
        QCOMPARE(p.duplicate_outcomes(), 0);
    }
};

POOLSCOPE_TEST_MAIN(TestPoolEnvironment, QCoreApplication, register_test_tasks)
#include "test_pool_environment.moc"
