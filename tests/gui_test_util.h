// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared set-up for the GUI tests: a throw-away settings location, so that no test reads or
// writes the user's Poolscope settings; and a way to make the disk full.

#include <QCoreApplication>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <csignal>
#include <cstdlib>
#include <sys/resource.h>

namespace poolscope::test {

inline void isolateSettings() {
    static QTemporaryDir dir;
    qputenv("XDG_CONFIG_HOME", dir.path().toLocal8Bit());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("PoolscopeTests"));
    QCoreApplication::setApplicationName(QStringLiteral("PoolscopeTests"));
}

// Lowers RLIMIT_FSIZE for as long as it lives: writes past `bytes` fail with EFBIG (SIGXFSZ is
// ignored meanwhile), which is how a test makes a disk full without a disk.
class FileSizeLimit {
public:
    explicit FileSizeLimit(qint64 bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit lowered = saved_;
        lowered.rlim_cur = rlim_t(bytes);
        ::setrlimit(RLIMIT_FSIZE, &lowered);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        ::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit saved_{};
    void (*old_handler_)(int) = SIG_DFL;
};

} // namespace poolscope::test
