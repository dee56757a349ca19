// SPDX-License-Identifier: GPL-3.0-or-later
// The monitor socket from outside: a real service (examples/monitored_service.cpp) in a second
// process, viewers on real Unix sockets (poolcore's MonitorClient, raw sockets for misbehaving
// ones, forked processes for dying ones and another user's), every control verb, and after each
// test the service's own account: every job it submitted got its outcome.
#include "poolcore/monitor_client.h"
#include "poolcore/monitor_protocol.h"
#include "poolcore/poll_loop.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Service {
    std::unique_ptr<QProcess> process;
    std::string socket;
    std::string out, err;

    ~Service() {
        if (process && process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(10000);
        }
    }

    // Starts the example with `args` and waits for its "monitor at" line.
    bool start(const QStringList& args, const QString& program = QStringLiteral(MONITORED_SERVICE),
               const QStringList& prefix = {}) {
        process = std::make_unique<QProcess>();
        process->setProcessChannelMode(program.endsWith(QStringLiteral("poolscope"))
                                           ? QProcess::MergedChannels
                                           : QProcess::SeparateChannels);
        process->start(prefix.isEmpty() ? program : prefix.first(),
                       prefix.isEmpty() ? args : prefix.mid(1) + QStringList{program} + args);
        if (!process->waitForStarted(30000))
            return false;
        QByteArray line;
        QElapsedTimer clock;
        clock.start();
        const auto announced = [&] {
            const auto at = line.indexOf("monitor at ");
            return at >= 0 && line.indexOf('\n', at) >= 0;
        };
        while (!announced() && clock.elapsed() < 60000) {
            process->waitForReadyRead(1000);
            line += process->readAllStandardOutput();
            if (process->state() == QProcess::NotRunning)
                break;
        }
        out = line.toStdString();
        const auto at = out.find("monitor at ");
        if (at == std::string::npos)
            return false;
        socket = out.substr(at + 11, out.find('\n', at) - at - 11);
        out.clear();
        return true;
    }
    // Asks it to end (SIGTERM: stop submitting, finish what is queued) and waits.
    int finish(bool signal = true, int timeout_ms = 120000) {
        if (signal && process->state() != QProcess::NotRunning)
            ::kill(pid_t(process->processId()), SIGTERM);
        if (!process->waitForFinished(timeout_ms)) {
            process->kill();
            process->waitForFinished(10000);
            return -1;
        }
        out += process->readAllStandardOutput().toStdString();
        err += process->readAllStandardError().toStdString();
        return process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
    }
    bool lost_nothing() const { return out.find(" succeeded, 0 lost") != std::string::npos; }
};

// A well-behaved viewer on this process's own PollLoop.
struct Viewer {
    poolcore::PollLoop& loop;
    std::unique_ptr<poolcore::MonitorClient> client;
    bool up = false;
    poolcore::MonitorHello hello;
    std::vector<std::string> disconnects;
    int snapshots = 0;
    poolcore::StatsSnapshot last;
    double longest_uptime = 0; // of any worker in any snapshot
    bool cpu_seen = false;     // a worker's CPU time in some snapshot
    poolcore::Info info;
    std::vector<poolcore::MonitorEvent> events;
    std::vector<poolcore::JobRecord> records;

    Viewer(poolcore::PollLoop& l, const std::string& path) : loop(l) {
        poolcore::MonitorClient::Callbacks callbacks;
        callbacks.on_connected = [this](const poolcore::MonitorHello& h) {
            up = true;
            hello = h;
        };
        callbacks.on_disconnected = [this](const std::string& why) {
            up = false;
            disconnects.push_back(why);
        };
        callbacks.on_snapshot = [this](const poolcore::StatsSnapshot& s, const poolcore::Info& i) {
            ++snapshots;
            last = s;
            info = i;
            for (const auto& w : s.workers) {
                longest_uptime = std::max(longest_uptime, w.uptime_seconds);
                cpu_seen = cpu_seen || w.cpu_seconds >= 0;
            }
        };
        callbacks.on_events = [this](const std::vector<poolcore::MonitorEvent>& e) {
            events.insert(events.end(), e.begin(), e.end());
        };
        callbacks.on_jobs = [this](std::vector<poolcore::JobRecord> r, std::uint64_t) {
            records.insert(records.end(), r.begin(), r.end());
        };
        client = std::make_unique<poolcore::MonitorClient>(loop, path, callbacks, 200ms);
        client->connect();
    }
    bool wait(const std::function<bool()>& done, std::chrono::seconds timeout = 60s) {
        return loop.run_until(done, timeout);
    }
    // Sends `verb` and waits for its reply.
    std::pair<bool, std::string> ask(const std::string& verb, json args = json::object()) {
        bool answered = false, ok = false;
        std::string error;
        client->request(verb, args, [&](bool o, const std::string& e, const json&) {
            answered = true;
            ok = o;
            error = e;
        });
        wait([&] { return answered; });
        return {ok, answered ? error : "no reply"};
    }
    pid_t busy_worker() const {
        for (const auto& w : last.workers)
            if (w.state == poolcore::WorkerState::Busy && w.current_job_accepted)
                return w.pid;
        return 0;
    }
};

// A raw connection, for viewers that misbehave.
int connect_raw(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

// Reads frames from a raw connection (blocking, with a timeout), keeping what it read ahead.
struct RawReader {
    int fd;
    poolcore::MonitorFrameDecoder decoder{poolcore::kMonitorMaxMessageBytes};

    // Frames until one of `type` arrives: its JSON, or null on EOF, garbage or timeout.
    json until(const std::string& type, std::chrono::seconds timeout = 30s) {
        timeval tv{};
        tv.tv_sec = timeout.count();
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buffer[65536];
        while (std::chrono::steady_clock::now() < deadline) {
            json message;
            for (;;) {
                const auto status = decoder.next(message);
                if (status == poolcore::MonitorFrameDecoder::Status::Error)
                    return json();
                if (status == poolcore::MonitorFrameDecoder::Status::NeedMore)
                    break;
                if (message["type"] == type)
                    return message;
            }
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                return json();
            decoder.feed(std::string_view(buffer, std::size_t(n)));
        }
        return json();
    }
};

json read_until(int fd, const std::string& type, std::chrono::seconds timeout = 30s) {
    return RawReader{fd}.until(type, timeout);
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        bytes.remove_prefix(std::size_t(n));
    }
    return true;
}

} // namespace

class TestAttach : public QObject {
    Q_OBJECT

    QTemporaryDir dir_{QDir::tempPath() + QStringLiteral("/attach-test-XXXXXX")};
    QString socket(const char* name) const {
        return dir_.path() + QStringLiteral("/run/") + QLatin1String(name) +
               QStringLiteral(".sock");
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void a_viewer_sees_every_job_snapshots_and_events_data() {
        QTest::addColumn<bool>("threads");
        QTest::addColumn<bool>("ring");
        QTest::newRow("Pool") << false << true;
        QTest::newRow("BlockingPool") << true << true;
        QTest::newRow("Pool without a job ring") << false << false;
    }
    void a_viewer_sees_every_job_snapshots_and_events() {
        QFETCH(bool, threads);
        QFETCH(bool, ring);
        Service service;
        const QString name = QStringLiteral("every-%1-%2").arg(int(threads)).arg(int(ring));
        QStringList args{"--socket", socket(qPrintable(name)), "--jobs",    "300", "--rate",
                         "600",      "--wait-for-viewer",      "--work-ms", "1"};
        if (threads)
            args << "--threads";
        if (!ring)
            args << "--no-job-records";
        QVERIFY(service.start(args));
        // The directory is the user's alone, the socket 0600.
        struct stat st {};
        QCOMPARE(::stat((dir_.path() + "/run").toLocal8Bit().constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0700);
        QCOMPARE(::stat(service.socket.c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);

        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up; }));
        QCOMPARE(viewer.hello.version, poolcore::kMonitorProtocolVersion);
        QVERIFY(!viewer.hello.read_only);
        QCOMPARE(viewer.hello.pool_kind, std::string(threads ? "thread-driven" : "event-loop"));
        QCOMPARE(qint64(viewer.hello.pid), service.process->processId());
        viewer.wait([&] { return viewer.records.size() >= 300; });
        QVERIFY2(viewer.records.size() >= 300,
                 (std::to_string(viewer.records.size()) + " records, " +
                  std::to_string(viewer.snapshots) + " snapshots, finished " +
                  std::to_string(viewer.last.finished))
                     .c_str());
        std::set<poolcore::JobId> ids;
        const poolcore::JobRecord::Clock::time_point never{};
        for (const auto& r : viewer.records) {
            ids.insert(r.id);
            QCOMPARE(r.outcome, poolcore::Outcome::Success);
            QVERIFY(r.pid > 0);
            QVERIFY(r.finished >= r.submitted);
            if (ring) {
                // The pool's own record, as a local viewer gets it: the task, its slot and
                // every step, which the timeline's lanes and bars are drawn from.
                QCOMPARE(r.task, std::string("digest"));
                QCOMPARE(r.argument, std::string("1"));
                QVERIFY2(r.slot == 0 || r.slot == 1, std::to_string(r.slot).c_str());
                QVERIFY(r.written != never && r.written >= r.submitted);
                QVERIFY(r.accepted >= r.written && r.finished >= r.accepted);
            } else {
                // Without a ring, what the observer hears: no task, slot or write time.
                QVERIFY(r.task.empty());
                QCOMPARE(r.slot, -1);
                QVERIFY(r.written == never);
            }
        }
        // Each worker's CPU time and uptime came with the snapshots.
        QVERIFY(viewer.longest_uptime > 0);
        QVERIFY(viewer.cpu_seen);
        QCOMPARE(ids.size(), std::size_t(300));
        QVERIFY(viewer.snapshots >= 2);
        QCOMPARE(viewer.info.max_concurrency, 2);
        QCOMPARE(viewer.last.target_processes, 2);
        QCOMPARE(service.finish(false), 0);
        QVERIFY2(service.out.find("300 of 300 jobs succeeded, 0 lost") != std::string::npos,
                 service.out.c_str());
        // The pool's end reached the viewer: workers retired, state STOPPED, then the loss.
        viewer.wait([&] { return !viewer.up; }, 30s);
        bool stopped = false;
        int exits = 0;
        for (const auto& e : viewer.events) {
            stopped |= e.kind == poolcore::MonitorEvent::Kind::StateChanged &&
                       e.state == poolcore::PoolState::Stopped;
            exits += e.kind == poolcore::MonitorEvent::Kind::WorkerExit;
        }
        QVERIFY(stopped);
        QCOMPARE(exits, 2);
        QVERIFY(!viewer.disconnects.empty());
    }

    void every_control_verb_works_from_a_viewer_data() {
        QTest::addColumn<bool>("threads");
        QTest::newRow("event-loop Pool") << false;
        QTest::newRow("BlockingPool") << true;
    }
    void every_control_verb_works_from_a_viewer() {
        QFETCH(bool, threads);
        Service service;
        QStringList args{"--socket",  socket(threads ? "verbs-t" : "verbs"),
                         "--forever", "--rate",
                         "5",         "--work-ms",
                         "300"};
        if (threads)
            args << "--threads";
        QVERIFY(service.start(args));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up; }));
        QCOMPARE(viewer.hello.pool_kind, std::string(threads ? "thread-driven" : "event-loop"));
        const auto verbs = viewer.hello.capabilities;
        QVERIFY(std::find(verbs.begin(), verbs.end(), "control") != verbs.end());

        QCOMPARE(viewer.ask("grow", {{"n", 2}}), std::make_pair(true, std::string()));
        QVERIFY(viewer.wait([&] { return viewer.last.target_processes == 4; }));
        QVERIFY(viewer.wait([&] { return viewer.last.alive_processes == 4; }));
        // A viewer's mistake is its own reply; the pool is untouched.
        auto [bad_ok, bad_error] = viewer.ask("grow", {{"n", 0}});
        QVERIFY(!bad_ok);
        QVERIFY2(bad_error.find("\"n\" must be") != std::string::npos, bad_error.c_str());
        auto [pid1_ok, pid1_error] = viewer.ask("kill_worker", {{"pid", 1}, {"signal", 9}});
        QVERIFY(!pid1_ok);
        QVERIFY2(pid1_error.find("no worker with pid 1") != std::string::npos, pid1_error.c_str());
        QVERIFY(!viewer.ask("frobnicate").first);

        // Shrink retires idle workers only; wait until one is idle.
        bool shrunk = false;
        for (int attempt = 0; attempt < 100 && !shrunk; ++attempt) {
            shrunk = viewer.ask("shrink", {{"n", 1}}).first;
            if (!shrunk)
                viewer.wait([] { return false; }, 0s), loop.run_once(50ms);
        }
        QVERIFY(shrunk);
        QVERIFY(viewer.wait([&] { return viewer.last.target_processes == 3; }));

        QVERIFY(viewer.wait([&] { return viewer.busy_worker() != 0; }));
        const pid_t busy = viewer.busy_worker();
        auto [term_ok, term_error] =
            viewer.ask("terminate_job", {{"pid", busy}, {"signal", "TERM"}});
        QVERIFY2(term_ok || term_error.find("not running a job") != std::string::npos,
                 term_error.c_str());
        if (term_ok)
            QVERIFY(viewer.wait([&] {
                for (const auto& r : viewer.records)
                    if (r.pid == busy && r.outcome == poolcore::Outcome::Terminated)
                        return true;
                return false;
            }));

        // Not the worker terminate_job just ended: the last snapshot may predate its exit.
        pid_t victim = 0;
        for (const auto& w : viewer.last.workers)
            if ((w.state == poolcore::WorkerState::Idle ||
                 w.state == poolcore::WorkerState::Busy) &&
                !(term_ok && w.pid == busy))
                victim = w.pid;
        QVERIFY(victim != 0);
        const auto [kill_ok, kill_error] =
            viewer.ask("kill_worker", {{"pid", victim}, {"signal", 9}});
        QVERIFY2(kill_ok, kill_error.c_str());
        QVERIFY(viewer.wait([&] {
            for (const auto& e : viewer.events)
                if (e.kind == poolcore::MonitorEvent::Kind::WorkerExit && e.pid == victim)
                    return true;
            return false;
        }));

        const auto started_before = viewer.last.workers_started;
        QVERIFY(viewer.ask("restart").first);
        QVERIFY(viewer.wait([&] { return viewer.last.workers_started >= started_before + 3; }));

        QVERIFY(viewer.ask("close").first);
        QVERIFY(viewer.wait([&] { return viewer.last.state == poolcore::PoolState::Close; }));
        QVERIFY(viewer.ask("stop").first);
        QCOMPARE(service.finish(false), 0);
        QVERIFY2(service.lost_nothing(), service.out.c_str());
        QVERIFY2(service.out.find("no more jobs: the pool is closed") != std::string::npos,
                 service.out.c_str());
    }

    void terminate_from_a_viewer_fails_jobs_but_loses_none() {
        Service service;
        QVERIFY(service.start(
            {"--socket", socket("terminate"), "--forever", "--rate", "100", "--work-ms", "200"}));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up && viewer.last.busy_processes > 0; }));
        QVERIFY(viewer.ask("terminate").first);
        QCOMPARE(service.finish(false), 0);
        QVERIFY2(service.lost_nothing(), service.out.c_str());
    }

    void a_read_only_monitor_refuses_every_verb() {
        Service service;
        QVERIFY(
            service.start({"--socket", socket("ro"), "--forever", "--rate", "50", "--read-only"}));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up && viewer.snapshots > 0; }));
        QVERIFY(viewer.hello.read_only);
        for (const auto& verb : poolcore::monitor_control_verbs()) {
            const auto [ok, error] = viewer.ask(verb, {{"n", 1}, {"pid", 12345}});
            QVERIFY(!ok);
            QVERIFY2(error.find("read-only") != std::string::npos, error.c_str());
        }
        QCOMPARE(viewer.last.target_processes, 2);
        QCOMPARE(viewer.last.state, poolcore::PoolState::Run);
        QCOMPARE(service.finish(), 0);
        QVERIFY(service.lost_nothing());
    }

    void garbage_drops_that_viewer_only() {
        Service service;
        QVERIFY(service.start(
            {"--socket", socket("garbage"), "--forever", "--rate", "300", "--work-ms", "1"}));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up; }));
        const std::vector<std::string> garbage = {
            std::string("\xff\xff\xff\xff", 4) + "x",       // beyond the frame limit
            std::string("\0\0\0\x05", 4) + "hello",         // not JSON
            std::string("\0\0\0\x02", 4) + "[]",            // not an object
            std::string("\0\0\0\x0b", 4) + "{\"type\": 7}", // no string type
            std::string("\0\0\0\0", 4),                     // empty
        };
        for (const auto& bytes : garbage) {
            const int fd = connect_raw(service.socket);
            QVERIFY(fd >= 0);
            RawReader reader{fd};
            QVERIFY(!reader.until("hello").is_null());
            QVERIFY(send_all(fd, bytes));
            const json error = reader.until("error");
            QVERIFY2(error.value("message", "").find("malformed frame") != std::string::npos,
                     error.dump().c_str());
            char c;
            QCOMPARE(::recv(fd, &c, 1, 0), ssize_t(0)); // and it was closed
            ::close(fd);
        }
        // The good viewer went on all the while.
        const int before = viewer.snapshots;
        QVERIFY(viewer.wait([&] { return viewer.snapshots > before + 3; }));
        QVERIFY(viewer.up);
        QVERIFY(viewer.disconnects.empty());
        QCOMPARE(service.finish(), 0);
        QVERIFY(service.lost_nothing());
        QVERIFY2(service.out.find("5 dropped for garbage") != std::string::npos,
                 service.out.c_str());
    }

    // The viewer's side of bad input: a pool that sends a snapshot without the worker fields
    // added in 0.2 (an older server) is read with their defaults; one whose field has the wrong
    // type is refused with a reason, and nothing of it reaches the window.
    void a_garbled_snapshot_from_the_pool_is_refused_and_an_older_one_read() {
        QDir().mkpath(dir_.path() + QStringLiteral("/run"));
        const std::string path = socket("fake-server").toStdString();
        const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(listener >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        QCOMPARE(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        QCOMPARE(::listen(listener, 4), 0);

        poolcore::PollLoop loop;
        Viewer viewer(loop, path);
        viewer.wait([] { return false; }, 1s); // it connects into the backlog
        const int fd = ::accept(listener, nullptr, nullptr);
        QVERIFY(fd >= 0);
        poolcore::StatsSnapshot stats;
        stats.state = poolcore::PoolState::Run;
        poolcore::WorkerStats worker;
        worker.slot = 0;
        worker.pid = 4711;
        worker.rss_kib = 2048;
        worker.uptime_seconds = 12;
        worker.cpu_seconds = 0.5;
        stats.workers = {worker};
        json older = stats;
        for (const char* key :
             {"uptime_seconds", "cpu_seconds", "cpu_percent", "generation", "slot_replacements"})
            older["workers"][0].erase(key);
        json garbled = stats;
        garbled["workers"][0]["uptime_seconds"] = "soon";
        const json info = {{"max-concurrency", 1},
                           {"processes", {4711}},
                           {"max-tasks-per-child", "N/A"},
                           {"put-guarded-by-semaphore", false},
                           {"timeouts", {0, 0}},
                           {"writes",
                            {{"total", 0},
                             {"avg", "0.00"},
                             {"all", ""},
                             {"raw", ""},
                             {"strategy", "fair"},
                             {"inqueues", {{"total", 1}, {"active", 0}}}}}};
        std::string frames;
        poolcore::append_monitor_frame(
            frames, {{"type", "hello"},
                     {"protocol", poolcore::kMonitorProtocolName},
                     {"version", poolcore::kMonitorProtocolVersion},
                     {"capabilities", {"stats"}},
                     {"read_only", true},
                     {"verbs", json::array()},
                     {"pool", {{"kind", "event-loop"}, {"pid", ::getpid()}, {"program", "fake"}}},
                     {"snapshot_interval_ms", 100}});
        poolcore::append_monitor_frame(frames,
                                       {{"type", "snapshot"}, {"stats", older}, {"info", info}});
        QVERIFY(send_all(fd, frames));
        QVERIFY(viewer.wait([&] { return viewer.snapshots == 1; }, 10s));
        QCOMPARE(viewer.last.workers.size(), std::size_t(1));
        QCOMPARE(viewer.last.workers[0].rss_kib, std::uint64_t(2048));
        QCOMPARE(viewer.last.workers[0].uptime_seconds, 0.0);
        QCOMPARE(viewer.last.workers[0].cpu_seconds, -1.0); // "not known", not 0 s of CPU

        frames.clear();
        poolcore::append_monitor_frame(frames,
                                       {{"type", "snapshot"}, {"stats", garbled}, {"info", info}});
        QVERIFY(send_all(fd, frames));
        QVERIFY(viewer.wait([&] { return !viewer.disconnects.empty(); }, 10s));
        QVERIFY2(viewer.disconnects.front().find("cannot read") != std::string::npos,
                 viewer.disconnects.front().c_str());
        QCOMPARE(viewer.snapshots, 1);
        ::close(fd);
        ::close(listener);
        ::unlink(path.c_str());
    }

    void a_dying_viewer_changes_nothing() {
        Service service;
        QVERIFY(service.start(
            {"--socket", socket("death"), "--forever", "--rate", "300", "--work-ms", "1"}));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up; }));
        for (int i = 0; i < 5; ++i) {
            const pid_t child = ::fork();
            if (child == 0) {
                // A viewer process that connects, sends half a request, and is killed.
                const int fd = connect_raw(service.socket);
                if (fd < 0)
                    ::_exit(3);
                read_until(fd, "snapshot", 10s);
                send_all(fd, std::string("\0\0\0\x40{\"type\":", 12));
                ::pause();
                ::_exit(0);
            }
            QVERIFY(child > 0);
            std::this_thread::sleep_for(200ms);
            ::kill(child, SIGKILL);
            int status = 0;
            QCOMPARE(::waitpid(child, &status, 0), child);
            QVERIFY(WIFSIGNALED(status));
        }
        const int before = viewer.snapshots;
        QVERIFY(viewer.wait([&] { return viewer.snapshots > before + 3; }));
        QVERIFY(viewer.disconnects.empty());
        QCOMPARE(service.finish(), 0);
        QVERIFY(service.lost_nothing());
        // Each death was noticed and logged (a reset, or an end of file).
        int drops = 0;
        for (auto at = service.err.find(") dropped: "); at != std::string::npos;
             at = service.err.find(") dropped: ", at + 1))
            ++drops;
        QVERIFY2(drops >= 5, service.err.c_str());
    }

    void a_slow_viewer_is_coalesced_then_dropped() {
        Service service;
        QVERIFY(service.start({"--socket", socket("slow"), "--forever", "--rate", "3000",
                               "--work-ms", "0", "--processes", "2", "--viewer-buffer-kib", "64",
                               "--stall-ms", "3000"}));
        poolcore::PollLoop loop;
        Viewer viewer(loop, service.socket);
        QVERIFY(viewer.wait([&] { return viewer.up; }));
        // It connects and never reads: the kernel's buffer fills, then its own 64 KiB.
        const int stuck = connect_raw(service.socket);
        QVERIFY(stuck >= 0);
        // However long it takes, the stuck one goes (too slow or stuck) and the good one stays.
        std::string err;
        QVERIFY(viewer.wait(
            [&] {
                service.process->waitForReadyRead(20); // QProcess reads only when asked here
                err += service.process->readAllStandardError().toStdString();
                return err.find("too slow") != std::string::npos ||
                       err.find("stuck") != std::string::npos;
            },
            120s));
        // The viewer that keeps up was kept (this test reads nothing for it from here on, so the
        // check comes first).
        QVERIFY(viewer.up);
        QVERIFY(viewer.disconnects.empty());
        QVERIFY(viewer.records.size() > 1000);
        // The stuck one's socket holds what was sent and then the end: the server closed it.
        timeval tv{30, 0};
        ::setsockopt(stuck, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::vector<char> drain(1 << 16);
        ssize_t n;
        while ((n = ::recv(stuck, drain.data(), drain.size(), 0)) > 0) {
        }
        QCOMPARE(n, ssize_t(0));
        ::close(stuck);
        QCOMPARE(service.finish(), 0);
        QVERIFY(service.lost_nothing());
        service.err = err + service.err;
        QVERIFY2(service.out.find("1 dropped slow") != std::string::npos, service.out.c_str());
    }

    void a_hundred_viewers_at_once() {
        Service service;
        QVERIFY(service.start(
            {"--socket", socket("hundred"), "--jobs", "2000", "--rate", "1000", "--work-ms", "0"}));
        std::vector<int> fds;
        for (int i = 0; i < 100; ++i) {
            const int fd = connect_raw(service.socket);
            QVERIFY2(fd >= 0, std::strerror(errno));
            fds.push_back(fd);
        }
        for (const int fd : fds)
            QVERIFY(!read_until(fd, "snapshot").is_null());
        for (const int fd : fds)
            ::close(fd);
        QCOMPARE(service.finish(false), 0);
        QVERIFY2(service.out.find("2000 of 2000 jobs succeeded, 0 lost") != std::string::npos,
                 service.out.c_str());
        QVERIFY2(service.out.find("100 viewers served") != std::string::npos, service.out.c_str());
    }

    void poolscope_headless_exposes_its_pool() {
        // `poolscope --headless ... --monitor PATH`: the app's own pool, watched and grown from
        // here, and a SIGTERM ends the run as ever; the viewer hears the end.
        Service app;
        QVERIFY(app.start({"--headless", "--count", "100000", "--task", "sleep=20", "--processes",
                           "2", "--monitor", socket("headless")},
                          QStringLiteral(POOLSCOPE_APP)));
        poolcore::PollLoop loop;
        Viewer viewer(loop, app.socket);
        QVERIFY(viewer.wait([&] { return viewer.up && viewer.snapshots > 0; }));
        QCOMPARE(viewer.last.target_processes, 2);
        QCOMPARE(viewer.ask("grow", {{"n", 1}}), std::make_pair(true, std::string()));
        QVERIFY(viewer.wait([&] { return viewer.last.target_processes == 3; }));
        ::kill(pid_t(app.process->processId()), SIGTERM);
        QVERIFY(viewer.wait([&] { return !viewer.up; }, 120s));
        QCOMPARE(app.finish(false), 128 + SIGTERM); // a stopped run's report, as ever
    }

    void another_user_is_refused() {
        if (::geteuid() != 0)
            QSKIP("needs root, to run the service and a viewer as another user (nobody)");
        if (QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())
            QSKIP("setpriv (util-linux) is missing");
        // The service as nobody, in a directory of nobody's own; root can reach the socket
        // (it passes the directory's mode) and is refused by its uid.
        const QString base = QStringLiteral("/tmp/poolscope-attach-nobody-%1").arg(::getpid());
        Service service;
        QVERIFY(service.start(
            {"--socket", base + "/m.sock", "--forever", "--rate", "50"},
            QStringLiteral(MONITORED_SERVICE),
            {QStringLiteral("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"}));
        const int fd = connect_raw(service.socket);
        QVERIFY2(fd >= 0, std::strerror(errno));
        const json refusal = read_until(fd, "error");
        QVERIFY2(refusal.value("message", "").find("only its own user") != std::string::npos,
                 refusal.dump().c_str());
        ::close(fd);
        QCOMPARE(service.finish(), 0);
        QVERIFY(service.lost_nothing());
        QVERIFY2(service.err.find("refused a viewer of uid 0") != std::string::npos,
                 service.err.c_str());
        QVERIFY2(service.out.find("1 refused (uid)") != std::string::npos, service.out.c_str());
        QDir(base).removeRecursively();

        // And nobody cannot even reach root's socket: the directory is root's alone.
        Service mine;
        QVERIFY(mine.start({"--socket", socket("root-only"), "--forever", "--rate", "50"}));
        const pid_t child = ::fork();
        if (child == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(2);
            const int attempt = connect_raw(mine.socket);
            ::_exit(attempt < 0 && errno == EACCES ? 0 : 1);
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0);
        QCOMPARE(mine.finish(), 0);
    }
};

QTEST_GUILESS_MAIN(TestAttach)
#include "test_attach.moc"
