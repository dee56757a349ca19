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
#include <QPushButton>
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
        b->setObjectName(QStringLiteral("showKind%1").arg(k));
        b->setCheckable(true);
        b->setChecked(true);
        b->setAccessibleName(tr("Show %1 events").arg(displayName(kind)));
        showToggleState(b, kind, true);
        connect(b, &QToolButton::toggled, this, [this, b, kind](bool on) {
            filter_->setKindShown(kind, on);
            showToggleState(b, kind, on);
        });
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
    clear_ = new QToolButton;
    clear_->setObjectName(QStringLiteral("clearLog"));
    clear_->setText(tr("Clear Log…"));
    clear_->setToolTip(tr("Empties the event log, after asking (Export first to keep it)"));
    connect(clear_, &QToolButton::clicked, this, &EventLogPage::clearWithQuestion);
    auto* save = new QToolButton;
    save->setText(tr("Export…"));
    save->setToolTip(tr("Saves the events shown (after filtering) as CSV"));
    connect(save, &QToolButton::clicked, this, &EventLogPage::exportWithDialog);
    auto* tools = new QHBoxLayout;
    tools->addWidget(search_, 1);
    tools->addWidget(clear_);
    tools->addWidget(save);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(kinds);
    layout->addLayout(tools);
    layout->addWidget(view_);
}

void EventLogPage::showToggleState(QToolButton* button, EventKind kind, bool shown) {
    // A mark and a struck-out name, in every theme and style: a checked tool button alone
    // differs from an unchecked one by a shade some styles barely draw.
    button->setText((shown ? QStringLiteral("\u2611 ") : QStringLiteral("\u2610 ")) +
                    displayName(kind));
    QFont font = button->font();
    font.setStrikeOut(!shown);
    button->setFont(font);
    button->setToolTip(shown
                           ? tr("%1 events are shown; click to hide them").arg(displayName(kind))
                           : tr("%1 events are hidden; click to show them").arg(displayName(kind)));
}

void EventLogPage::clearWithQuestion() {
    const int rows = model_->rowCount();
    if (rows == 0)
        return;
    QMessageBox box(QMessageBox::Question, tr("Clear Event Log"),
                    tr("Remove all %n event(s) from the log?", nullptr, rows),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("clearLogQuestion"));
    box.setInformativeText(tr("They cannot be brought back; Export keeps a copy first."));
    QPushButton* clear = box.addButton(tr("&Clear"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == clear)
        model_->clear();
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
        this, tr("Export Event Log"),
        exportDialogPath(ExportKind::Data, QStringLiteral("poolscope-events.csv")),
        tr("CSV (*.csv)"));
    QString error;
    if (path.isEmpty())
        return;
    if (!exportCsv(path, &error))
        QMessageBox::warning(this, tr("Export Event Log"), error);
    else
        rememberExportFolder(path);
}

} // namespace poolscope
