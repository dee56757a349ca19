// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/event_log_page.h"

#include "ui/export_file.h"
#include "ui/models/event_log_model.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QScrollBar>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace poolscope {

EventLogPage::EventLogPage(QWidget* parent)
    : QWidget(parent), model_(new EventLogModel(20000, this)), filter_(new EventLogFilter(this)),
      view_(new QTableView) {
    setObjectName(QStringLiteral("eventLogPage"));
    filter_->setSourceModel(model_);
    view_->setObjectName(QStringLiteral("eventLog"));
    view_->setAccessibleName(tr("Event log"));
    view_->setModel(filter_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setWordWrap(false);
    view_->verticalHeader()->setVisible(false);
    view_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    view_->horizontalHeader()->setStretchLastSection(true);
    const int c = fontMetrics().averageCharWidth();
    view_->setColumnWidth(EventLogModel::Time, 14 * c + 12);
    view_->setColumnWidth(EventLogModel::Kind, 13 * c + 12);
    view_->setColumnWidth(EventLogModel::Slot, 5 * c + 12);
    view_->setColumnWidth(EventLogModel::Pid, 8 * c + 12);

    auto* kinds = new QHBoxLayout;
    kinds->setSpacing(2);
    kinds->addWidget(new QLabel(tr("Show:")));
    for (int k = 0; k < kEventKindCount; ++k) {
        const auto kind = EventKind(k);
        auto* b = new QToolButton;
        b->setText(displayName(kind));
        b->setCheckable(true);
        b->setChecked(true);
        b->setAutoRaise(true);
        b->setAccessibleName(tr("Show %1 events").arg(displayName(kind)));
        b->setToolTip(tr("Shows or hides the %1 events").arg(displayName(kind).toLower()));
        connect(b, &QToolButton::toggled, this,
                [this, kind](bool on) { filter_->setKindShown(kind, on); });
        kind_buttons_[k] = b;
        kinds->addWidget(b);
    }
    kinds->addStretch(1);

    search_ = new QLineEdit;
    search_->setObjectName(QStringLiteral("eventSearch"));
    search_->setAccessibleName(tr("Search the event log"));
    search_->setPlaceholderText(tr("Search messages"));
    search_->setClearButtonEnabled(true);
    connect(search_, &QLineEdit::textChanged, filter_, &EventLogFilter::setSearchText);
    auto* clear = new QToolButton;
    clear->setText(tr("Clear"));
    clear->setToolTip(tr("Empties the event log"));
    connect(clear, &QToolButton::clicked, model_, &EventLogModel::clear);
    auto* save = new QToolButton;
    save->setText(tr("Export…"));
    save->setToolTip(tr("Saves the events shown (after filtering) as CSV"));
    connect(save, &QToolButton::clicked, this, &EventLogPage::exportWithDialog);
    auto* tools = new QHBoxLayout;
    tools->addWidget(search_, 1);
    tools->addWidget(clear);
    tools->addWidget(save);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(kinds);
    layout->addLayout(tools);
    layout->addWidget(view_);
}

void EventLogPage::append(const QList<PoolEvent>& events) {
    QScrollBar* bar = view_->verticalScrollBar();
    const bool at_bottom = bar->value() >= bar->maximum() - 2;
    model_->append(events);
    if (at_bottom)
        view_->scrollToBottom();
}

bool EventLogPage::exportCsv(const QString& path, QString* error) const {
    return writeExportFile(path, eventsToCsv(*filter_).toUtf8(), error);
}

void EventLogPage::exportWithDialog() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Event Log"), QStringLiteral("poolscope-events.csv"), tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !exportCsv(path, &error))
        QMessageBox::warning(this, tr("Export Event Log"), error);
}

} // namespace poolscope
