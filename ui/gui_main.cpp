// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/gui_main.h"

#include "ui/main_window.h"
#include "ui/pages/settings_page.h"

#include <QApplication>
#include <QIcon>
#include <QSocketNotifier>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace poolscope {

namespace {

// SIGINT, SIGTERM and SIGHUP close the window as the user would, so that the pool stops and
// no worker is left behind: the handler only writes a byte, which the event loop picks up.
int g_signal_pipe[2] = {-1, -1};

void on_quit_signal(int) {
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(g_signal_pipe[0], &byte, 1);
}

void watchQuitSignals(MainWindow& window) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, g_signal_pipe) != 0)
        return; // without it, these signals simply end the process as by default
    auto* notifier = new QSocketNotifier(g_signal_pipe[1], QSocketNotifier::Read, &window);
    QObject::connect(notifier, &QSocketNotifier::activated, &window, [&window] {
        char buffer[64];
        while (::read(g_signal_pipe[1], buffer, sizeof buffer) > 0) {
        }
        window.close();
    });
    struct sigaction sa {};
    sa.sa_handler = on_quit_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &sa, nullptr);
}

} // namespace

int run_gui(int argc, char** argv, const PoolOptionsOverlay& overlay) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Poolscope"));
    QApplication::setApplicationName(QStringLiteral("Poolscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Poolscope"));
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.poolscope.Poolscope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/poolscope/poolscope.png")));

    MainWindow window;
    window.restoreSession();
    window.settingsPage()->setOptions(overlay(window.settingsPage()->options()));
    watchQuitSignals(window);
    window.show();
    window.startPool();
    return app.exec();
}

} // namespace poolscope
