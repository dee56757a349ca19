// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A real Celery cluster for the `celery` tests: redis-server on 127.0.0.1 at a free port with
// persistence off, and Celery prefork workers (Debian's python3-celery, run by /usr/bin/python3)
// on tests/celery_app.py. Everything it starts it stops, SIGKILLed pool children included.

#include <QDir>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>
#include <QThread>
#include <csignal>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace celerytest {

inline const QString kPython = QStringLiteral("/usr/bin/python3");

// Why the cluster cannot run here, or empty when it can.
inline QString missing_packages() {
    if (QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty())
        return QStringLiteral("redis-server is not installed (Debian package redis-server)");
    if (!QFile::exists(kPython))
        return QStringLiteral("/usr/bin/python3 is missing (Debian package python3-celery)");
    QProcess probe;
    probe.start(kPython, {QStringLiteral("-c"), QStringLiteral("import celery, redis")});
    if (!probe.waitForFinished(30000) || probe.exitCode() != 0)
        return QStringLiteral("/usr/bin/python3 cannot import celery and redis (Debian packages "
                              "python3-celery and python3-redis)");
    return {};
}

inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

class Cluster {
public:
    Cluster() : port_(free_port()) {}
    ~Cluster() {
        for (auto& w : workers_)
            stop_worker(*w);
        stop_redis();
    }

    int port() const { return port_; }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1/0").arg(port_); }
    QString log_dir() const { return dir_.path(); }

    bool start_redis() {
        redis_ = std::make_unique<QProcess>();
        redis_->setStandardOutputFile(dir_.filePath(QStringLiteral("redis.log")),
                                      QIODevice::Append);
        redis_->setStandardErrorFile(dir_.filePath(QStringLiteral("redis.log")), QIODevice::Append);
        redis_->start(QStringLiteral("redis-server"),
                      {QStringLiteral("--port"), QString::number(port_), QStringLiteral("--bind"),
                       QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                       QStringLiteral("--appendonly"), QStringLiteral("no"),
                       QStringLiteral("--dir"), dir_.path()});
        if (!redis_->waitForStarted(10000))
            return false;
        for (int i = 0; i < 100; ++i) { // up to 10 s for it to listen
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(quint16(port_));
            const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(fd);
            if (up)
                return true;
            QThread::msleep(100);
        }
        return false;
    }

    void stop_redis() {
        if (!redis_)
            return;
        redis_->terminate();
        if (!redis_->waitForFinished(5000)) {
            redis_->kill();
            redis_->waitForFinished(5000);
        }
        redis_.reset();
    }

    // Starts worker `name` (node name name@%h), -P prefork -c 2 -E, with `environment` added to
    // its environment (celery_app.py reads POOLSCOPE_TEST_POOL_RESTARTS and CELERY_KEYPREFIX).
    QProcess* start_worker(const QString& name, const QStringList& extra = {},
                           const QMap<QString, QString>& environment = {}) {
        auto w = std::make_unique<QProcess>();
        w->setWorkingDirectory(QStringLiteral(POOLSCOPE_TESTS_DIR));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CELERY_BROKER_URL"), url());
        env.remove(QStringLiteral("PYTHONPATH"));
        env.remove(QStringLiteral("PYTHONHOME"));
        for (auto it = environment.begin(); it != environment.end(); ++it)
            env.insert(it.key(), it.value());
        w->setProcessEnvironment(env);
        const QString log = dir_.filePath(name + QStringLiteral(".log"));
        w->setStandardOutputFile(log, QIODevice::Append);
        w->setStandardErrorFile(log, QIODevice::Append);
        QStringList args{QStringLiteral("-m"),
                         QStringLiteral("celery"),
                         QStringLiteral("-A"),
                         QStringLiteral("celery_app"),
                         QStringLiteral("worker"),
                         QStringLiteral("-P"),
                         QStringLiteral("prefork"),
                         QStringLiteral("-c"),
                         QStringLiteral("2"),
                         QStringLiteral("-E"),
                         QStringLiteral("-n"),
                         name + QStringLiteral("@%h"),
                         QStringLiteral("-l"),
                         QStringLiteral("info"),
                         QStringLiteral("--without-mingle"),
                         QStringLiteral("--without-gossip")};
        args << extra;
        w->start(kPython, args);
        if (!w->waitForStarted(10000))
            return nullptr;
        workers_.push_back(std::move(w));
        return workers_.back().get();
    }

    // Children the test learnt of (pool processes), killed with their worker at the end.
    void remember_children(const std::vector<pid_t>& pids) {
        children_.insert(children_.end(), pids.begin(), pids.end());
    }

    void stop_worker(QProcess& w) {
        if (w.state() != QProcess::NotRunning) {
            w.terminate(); // SIGTERM: Celery's warm shutdown
            if (!w.waitForFinished(15000)) {
                w.kill();
                w.waitForFinished(5000);
            }
        }
        for (const pid_t child : children_)
            ::kill(child, SIGKILL); // orphans of a SIGKILLed worker; no-op for the reaped
        children_.clear();
    }

    // Runs `code` in /usr/bin/python3 with celery_app imported (as `from celery_app import *`)
    // and returns its stdout; `environment` as for start_worker.
    QByteArray python(const QString& code, const QMap<QString, QString>& environment = {}) const {
        QProcess p;
        p.setWorkingDirectory(QStringLiteral(POOLSCOPE_TESTS_DIR));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CELERY_BROKER_URL"), url());
        env.remove(QStringLiteral("PYTHONPATH"));
        env.remove(QStringLiteral("PYTHONHOME"));
        for (auto it = environment.begin(); it != environment.end(); ++it)
            env.insert(it.key(), it.value());
        p.setProcessEnvironment(env);
        p.start(kPython,
                {QStringLiteral("-c"), QStringLiteral("from celery_app import *\n") + code});
        p.waitForFinished(60000);
        return p.readAllStandardOutput();
    }

private:
    QTemporaryDir dir_;
    int port_;
    std::unique_ptr<QProcess> redis_;
    std::vector<std::unique_ptr<QProcess>> workers_;
    std::vector<pid_t> children_;
};

} // namespace celerytest
