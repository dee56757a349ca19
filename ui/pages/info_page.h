// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QTimer>
#include <QWidget>

class QPlainTextEdit;

namespace poolscope {

class PoolController;

// Celery's `info` report for the running pool, as JSON, refreshed twice a second while shown.
class InfoPage final : public QWidget {
    Q_OBJECT
public:
    explicit InfoPage(PoolController& controller, QWidget* parent = nullptr);
    QString text() const;

public Q_SLOTS:
    void refresh();
    void copyToClipboard();

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    PoolController& controller_;
    QPlainTextEdit* text_;
    QTimer timer_;
};

} // namespace poolscope
