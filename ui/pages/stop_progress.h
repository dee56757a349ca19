// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"

#include <QElapsedTimer>
#include <QFrame>

class QLabel;
class QProgressBar;
class QPushButton;

namespace poolscope {

class PoolController;

// Shown while a graceful stop takes more than a moment: how many jobs are still to finish, and a
// button to escalate to Terminate.
class StopProgress final : public QFrame {
    Q_OBJECT
public:
    explicit StopProgress(PoolController& controller, QWidget* parent = nullptr);
    QPushButton* terminateButton() const { return terminate_; }

private:
    void update(const poolcore::StatsSnapshot& snapshot);

    PoolController& controller_;
    QLabel* label_;
    QProgressBar* bar_;
    QPushButton* terminate_;
    QElapsedTimer since_;
    bool was_stopping_ = false;
};

} // namespace poolscope
