// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/gui_main.h"

#include "ui/main_window.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"

#include <QApplication>
#include <QIcon>
#include <QSocketNotifier>
#include <QTimer>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace poolscope {

namespace {

// SIGINT, SIGTERM and SIGHUP end the program as the headless run does, asking nothing (there
// may be no one to answer): the first stops the load and the pool gracefully, so that queued and
// running jobs finish within kStopGrace and are terminated past it; a second terminates them at
// once. The window closes when the pool has stopped, so that no worker is left behind, and the
// program exits with 128 + the first signal's number. The handler only writes the signal's
// number, which the event loop picks up; the pipe is the handler's one piece of state.
int g_signal_pipe[2] = {-1, -1};
constexpr std::chrono::seconds kStopGrace{10};

void on_quit_signal(int signal) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] const auto n = ::write(g_signal_pipe[0], &byte, 1);
    errno = saved;
}

bool poolIsActive(const PoolController& controller) {
    const poolcore::PoolState s = controller.state();
    return s == poolcore::PoolState::Run || s == poolcore::PoolState::Close ||
           s == poolcore::PoolState::Terminate;
}

// The first signal stops gracefully, giving the jobs kStopGrace; `again` terminates them now.
void quitOnSignal(MainWindow& window, bool again) {
    PoolController& controller = window.controller();
    // A question on screen (the quit dialog) waits for no one now.
    if (QWidget* modal = QApplication::activeModalWidget())
        modal->close();
    window.generator().stop();
    // Another program's pool is not the viewer's to stop: the viewer just leaves.
    if (!poolIsActive(controller) || !controller.ownsPool()) {
        window.close();
    } else if (again || !controller.stop()) {
        controller.terminate();
    } else {
        QTimer::singleShot(kStopGrace, &window, [&controller] {
            if (poolIsActive(controller))
                controller.terminate();
        });
    }
}

// Sets `first_signal` when the first of them arrives.
void watchQuitSignals(MainWindow& window, int& first_signal) {
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, g_signal_pipe) != 0)
        return; // without it, these signals simply end the process as by default
#else
    // macOS has neither flag: the same pair, then the flags one by one.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signal_pipe) != 0)
        return;
    for (int fd : g_signal_pipe) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
#endif
    PoolController& controller = window.controller();
    auto* notifier = new QSocketNotifier(g_signal_pipe[1], QSocketNotifier::Read, &window);
    QObject::connect(notifier, &QSocketNotifier::activated, &window,
                     [&window, &first_signal, received = 0]() mutable {
                         unsigned char buffer[64];
                         int fresh = 0;
                         for (ssize_t n;
                              (n = ::read(g_signal_pipe[1], buffer, sizeof buffer)) > 0;) {
                             if (received + fresh == 0)
                                 first_signal = buffer[0];
                             fresh += int(n);
                         }
                         if (fresh == 0)
                             return;
                         received += fresh;
                         quitOnSignal(window, received > 1);
                     });
    QObject::connect(&controller, &PoolController::stateChanged, &window,
                     [&window, &first_signal](poolcore::PoolState s) {
                         if (first_signal && s == poolcore::PoolState::Stopped)
                             QTimer::singleShot(0, &window, &QWidget::close);
                     });
    struct sigaction sa {};
    sa.sa_handler = on_quit_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction before {};
        ::sigaction(sig, nullptr, &before);
        if (before.sa_handler != SIG_IGN) // as nohup or a background job asked
            ::sigaction(sig, &sa, nullptr);
    }
}

} // namespace

int run_gui(int argc, char** argv, const PoolOptionsOverlay& overlay, const std::string& celery_url,
            const QString& attach_socket, const std::string& celery_keyprefix) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Poolscope"));
    QApplication::setApplicationName(QStringLiteral("Poolscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Poolscope"));
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.poolscope.poolscope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/poolscope/poolscope.png")));

    MainWindow window;
    window.restoreSession();
    window.applyCommandLineOptions(overlay(window.settingsPage()->options()));
    int first_signal = 0;
    watchQuitSignals(window, first_signal);
    window.show();
    if (!attach_socket.isEmpty())
        window.attachTo(attach_socket);
    else if (!celery_url.empty())
        window.connectToCelery(QString::fromStdString(celery_url),
                               QString::fromStdString(celery_keyprefix));
    else
        window.startPool();
    const int code = app.exec();
    return first_signal ? 128 + first_signal : code;
}

} // namespace poolscope
