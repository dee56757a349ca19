// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/stop_progress.h"

#include "ui/sources/pool_controller.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>

namespace poolscope {

namespace {
// A stop that is over this quickly never shows the banner.
constexpr qint64 kShowAfterMs = 300;
} // namespace

StopProgress::StopProgress(PoolController& controller, QWidget* parent)
    : QFrame(parent), controller_(controller), label_(new QLabel), bar_(new QProgressBar),
      terminate_(
          new QPushButton(style()->standardIcon(QStyle::SP_BrowserStop), tr("Terminate &Now"))) {
    setObjectName(QStringLiteral("stopProgress"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    label_->setObjectName(QStringLiteral("stopProgressText"));
    bar_->setAccessibleName(tr("Jobs finished since Stop"));
    bar_->setFormat(tr("%v of %m jobs finished"));
    terminate_->setObjectName(QStringLiteral("stopTerminate"));
    terminate_->setAccessibleName(tr("Terminate now"));
    terminate_->setToolTip(tr("Stops waiting: fails the jobs still queued or running and kills "
                              "every worker."));
    connect(terminate_, &QPushButton::clicked, &controller_, &PoolController::terminate);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(label_, 1);
    layout->addWidget(bar_);
    layout->addWidget(terminate_);
    setVisible(false);
    connect(&controller_, &PoolController::sampled, this, &StopProgress::update);
}

void StopProgress::update(const poolcore::StatsSnapshot& s) {
    const bool stopping = controller_.isStopping();
    if (stopping && !was_stopping_)
        since_.start();
    was_stopping_ = stopping;
    if (!stopping || since_.elapsed() < kShowAfterMs) {
        setVisible(false);
        return;
    }
    const std::uint64_t left = s.pending + s.in_flight;
    const std::uint64_t total = std::max<std::uint64_t>(controller_.jobsAtStop(), left);
    label_->setText(
        left ? tr("Stopping gracefully: %1 job(s) still to finish (%2 running, %3 "
                  "queued), %4 worker(s) alive.")
                   .arg(left)
                   .arg(s.in_flight)
                   .arg(s.pending)
                   .arg(s.alive_processes)
             : tr("Stopping gracefully: waiting for %1 worker(s) to exit.").arg(s.alive_processes));
    bar_->setRange(0, int(std::min<std::uint64_t>(total, 1u << 30)));
    bar_->setValue(int(std::min<std::uint64_t>(total - left, 1u << 30)));
    setVisible(true);
}

} // namespace poolscope
