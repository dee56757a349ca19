// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/gui_main.h"

#include "app/stop_signals.h"
#include "ui/main_window.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"

#include <QApplication>
#include <QIcon>
#include <QSocketNotifier>
#include <QTimer>
#include <chrono>

namespace poolscope {

namespace {

// SIGINT, SIGTERM and SIGHUP (on Windows the console's Ctrl+C, Ctrl+Break and close) end the
// program as the headless run does, asking nothing (there may be no one to answer): the first
// stops the load and the pool gracefully, so that queued and running jobs finish within
// kStopGrace and are terminated past it; a second terminates them at once. The window closes
// when the pool has stopped, so that no worker is left behind, and the program exits with 128 +
// the first signal's number.
constexpr std::chrono::seconds kStopGrace{10};

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

// Stops the pool on the signals `stop_signals` catches; closes the window once it has stopped.
void watchQuitSignals(MainWindow& window, StopSignals& stop_signals) {
    if (stop_signals.fd() < 0)
        return; // without its pipe, these signals simply end the process as by default
    auto* notifier = new QSocketNotifier(stop_signals.fd(), QSocketNotifier::Read, &window);
    QObject::connect(notifier, &QSocketNotifier::activated, &window, [&window, &stop_signals] {
        const int before = stop_signals.count();
        stop_signals.collect();
        if (stop_signals.count() > before)
            quitOnSignal(window, stop_signals.count() > 1);
    });
    QObject::connect(&window.controller(), &PoolController::stateChanged, &window,
                     [&window, &stop_signals](poolcore::PoolState s) {
                         if (stop_signals.count() > 0 && s == poolcore::PoolState::Stopped)
                             QTimer::singleShot(0, &window, &QWidget::close);
                     });
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

    // Before the window, which outlives it otherwise: the window's pool may still change state
    // while the window is destroyed, and the watch looks at these signals then.
    StopSignals stop_signals;
    MainWindow window;
    window.restoreSession();
    window.applyCommandLineOptions(overlay(window.settingsPage()->options()));
    watchQuitSignals(window, stop_signals);
    window.show();
    if (!attach_socket.isEmpty())
        window.attachTo(attach_socket);
    else if (!celery_url.empty())
        window.connectToCelery(QString::fromStdString(celery_url),
                               QString::fromStdString(celery_keyprefix));
    else
        window.startPool();
    const int code = app.exec();
    return stop_signals.first() ? 128 + stop_signals.first() : code;
}

} // namespace poolscope
