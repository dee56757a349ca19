// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared set-up for the GUI tests: a throw-away settings location, so that no test reads or
// writes the user's Poolscope settings.

#include <QCoreApplication>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <cstdlib>

namespace poolscope::test {

inline void isolateSettings() {
    static QTemporaryDir dir;
    qputenv("XDG_CONFIG_HOME", dir.path().toLocal8Bit());
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("PoolscopeTests"));
    QCoreApplication::setApplicationName(QStringLiteral("PoolscopeTests"));
}

} // namespace poolscope::test
