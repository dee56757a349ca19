// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QTimer>
#include <chrono>
#include <random>

class QMenu;
class QWidget;

namespace poolscope {

class PoolController;

// Faults on purpose, from the GUI, to watch the pool cope: chaos kills (a random worker gets
// SIGKILL at an interval, as the headless --chaos-kill-ms does) and killing the forkserver. A
// signal of one's choice to one worker (SIGSTOP for a hang, SIGCONT to end it) is the process
// table's, through the same controller.
class FaultInjection final : public QObject {
    Q_OBJECT
public:
    explicit FaultInjection(PoolController& controller, QObject* parent = nullptr);

    // Every `interval`, SIGKILL to a random worker that holds a slot; stops with the pool.
    void startChaos(std::chrono::milliseconds interval);
    void stopChaos();
    bool chaosRunning() const { return chaos_.isActive(); }
    long long chaosKills() const { return chaos_kills_; }
    // SIGKILL to the app's forkserver; false (with the reason logged) when the pool does not
    // use one. The next worker start launches a new server.
    bool killForkServer();

    // The Faults menu: chaos on/off with its interval, kill the forkserver.
    QMenu* createMenu(QWidget* parent);

Q_SIGNALS:
    void chaosChanged(bool running);

private:
    void killRandomWorker();

    PoolController& controller_;
    QTimer chaos_;
    long long chaos_kills_ = 0;
    std::mt19937 random_{std::random_device{}()};
};

} // namespace poolscope
