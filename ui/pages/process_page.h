// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"

#include <QWidget>

class QAction;
class QSortFilterProxyModel;
class QTableView;

namespace poolscope {

class PoolController;
class ProcessTableModel;

// The worker processes, one row each, with a context menu to end a worker's job or kill the
// worker (to watch the pool replace it).
class ProcessPage final : public QWidget {
    Q_OBJECT
public:
    explicit ProcessPage(PoolController& controller, QWidget* parent = nullptr);

    ProcessTableModel* model() const { return model_; }
    QTableView* view() const { return view_; }
    // Selects the row of worker `pid`; false if there is none.
    bool selectPid(pid_t pid);
    // The worker of the selected row, 0 if none.
    pid_t selectedPid() const;

    QAction* terminateJobAction() const { return terminate_job_; }
    QAction* killJobAction() const { return kill_job_; }
    QAction* stopWorkerAction() const { return stop_worker_; }
    QAction* killWorkerAction() const { return kill_worker_; }
    QAction* pauseWorkerAction() const { return pause_worker_; }
    QAction* resumeWorkerAction() const { return resume_worker_; }
    // Any signal to the selected worker (the context menu's Send Signal); false if none is
    // selected or the pool refused.
    bool sendSignal(int signal);

private:
    void updateActions();
    const poolcore::WorkerStats* selectedWorker() const;

    PoolController& controller_;
    ProcessTableModel* model_;
    QSortFilterProxyModel* sorted_;
    QTableView* view_;
    QAction* terminate_job_;
    QAction* kill_job_;
    QAction* stop_worker_;
    QAction* kill_worker_;
    QAction* pause_worker_;
    QAction* resume_worker_;
};

} // namespace poolscope
