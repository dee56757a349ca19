// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/info_page.h"

#include "ui/sources/pool_controller.h"

#include <QClipboard>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QStyle>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

namespace poolscope {

InfoPage::InfoPage(PoolController& controller, QWidget* parent)
    : QWidget(parent), controller_(controller), text_(new QPlainTextEdit) {
    setObjectName(QStringLiteral("infoPage"));
    text_->setObjectName(QStringLiteral("infoText"));
    text_->setAccessibleName(tr("Pool info report"));
    text_->setReadOnly(true);
    text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* copy = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Copy"));
    copy->setObjectName(QStringLiteral("copyInfo"));
    copy->setAccessibleName(tr("Copy the info report"));
    copy->setToolTip(tr("Copies the report to the clipboard as JSON"));
    connect(copy, &QPushButton::clicked, this, &InfoPage::copyToClipboard);
    auto* header = new QHBoxLayout;
    header->addWidget(new QLabel(tr("The pool's <tt>info</tt> report, as Celery's prefork "
                                    "TaskPool gives it; updated live.")),
                      1);
    header->addWidget(copy);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(header);
    layout->addWidget(text_);
    timer_.setInterval(std::chrono::milliseconds(500));
    connect(&timer_, &QTimer::timeout, this, &InfoPage::refresh);
}

QString InfoPage::text() const {
    return text_->toPlainText();
}

void InfoPage::refresh() {
    const auto info = controller_.info();
    const QString report = info ? QString::fromStdString(nlohmann::json(*info).dump(2))
                                : tr("No pool yet: press Start.");
    if (report == text_->toPlainText())
        return; // an unchanged report keeps the reader's scroll position and selection
    const int scroll = text_->verticalScrollBar()->value();
    text_->setPlainText(report);
    text_->verticalScrollBar()->setValue(scroll);
}

void InfoPage::copyToClipboard() {
    refresh();
    QGuiApplication::clipboard()->setText(text_->toPlainText());
}

void InfoPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    refresh();
    timer_.start();
}

void InfoPage::hideEvent(QHideEvent* event) {
    QWidget::hideEvent(event);
    timer_.stop();
}

} // namespace poolscope
