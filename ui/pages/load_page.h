// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/load_generator.h"

#include <QWidget>

class QButtonGroup;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSettings;
class QSpinBox;

namespace poolscope {

class PoolController;

// The load generator's controls: task and argument, payload size, a burst of N jobs with a
// progress bar or a steady rate, and start/stop at any time.
class LoadPage final : public QWidget {
    Q_OBJECT
public:
    LoadPage(PoolController& controller, LoadGenerator& generator, QWidget* parent = nullptr);

    LoadSpec spec() const;
    void setSpec(const LoadSpec& spec);
    void save(QSettings& settings) const;
    void restore(QSettings& settings);

    QPushButton* startButton() const { return start_; }
    QPushButton* stopButton() const { return stop_; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void updateIcons();
    void updateEnabled();
    void updateTaskHint();
    void showCounts();
    void startLoad();

    PoolController& controller_;
    LoadGenerator& generator_;
    QComboBox* task_;
    QLineEdit* argument_;
    QLineEdit* mix_;
    QSpinBox* payload_;
    QRadioButton* burst_mode_;
    QRadioButton* rate_mode_;
    QSpinBox* burst_jobs_;
    QDoubleSpinBox* rate_;
    QPushButton* start_;
    QPushButton* stop_;
    QProgressBar* progress_;
    QLabel* counts_;
    QLabel* message_;
};

} // namespace poolscope
