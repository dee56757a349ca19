// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/help_dialogs.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QKeySequence>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#ifndef POOLSCOPE_VERSION
#error "POOLSCOPE_VERSION comes from the project version (ui/widgets.cmake)"
#endif

namespace poolscope {

QString aboutText() {
    return QObject::tr("<h3>Poolscope %1</h3><p>Runs, watches and controls a prefork process pool "
                       "modelled on Celery's prefork TaskPool.</p><p>Built with Qt %2, running "
                       "on Qt %3.</p><p>Licensed under the GNU GPL, version 3 or later. Charts "
                       "drawn with QCustomPlot.</p>")
        .arg(QStringLiteral(POOLSCOPE_VERSION), QStringLiteral(QT_VERSION_STR),
             QString::fromLatin1(qVersion()));
}

ShortcutsDialog::ShortcutsDialog(QWidget* window) : QDialog(window), table_(new QTableWidget) {
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard Shortcuts"));
    struct Row {
        QString keys, what;
    };
    std::vector<Row> rows;
    QSet<QString> seen;
    for (QAction* a : window->findChildren<QAction*>()) {
        if (a->shortcuts().isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence& k : a->shortcuts())
            keys << k.toString(QKeySequence::NativeText);
        QString what = a->text().remove(QLatin1Char('&'));
        what.remove(QStringLiteral("…"));
        const QString key = keys.join(QStringLiteral(", "));
        if (seen.contains(key + what))
            continue;
        seen.insert(key + what);
        const QString tip = a->statusTip().isEmpty() ? QString() : a->statusTip();
        rows.push_back({key, tip.isEmpty() ? what : what + QStringLiteral(" — ") + tip});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.what < b.what; });
    table_->setObjectName(QStringLiteral("shortcutsTable"));
    table_->setColumnCount(2);
    table_->setRowCount(int(rows.size()));
    table_->setHorizontalHeaderLabels({tr("Keys"), tr("Action")});
    for (int i = 0; i < int(rows.size()); ++i) {
        table_->setItem(i, 0, new QTableWidgetItem(rows[std::size_t(i)].keys));
        table_->setItem(i, 1, new QTableWidgetItem(rows[std::size_t(i)].what));
    }
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->resizeColumnToContents(0);
    table_->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table_);
    layout->addWidget(buttons);
    resize(720, 480);
}

} // namespace poolscope
