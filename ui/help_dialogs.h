// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QString>

class QTableWidget;

namespace poolscope {

// The About box's text: what Poolscope is, its version and the Qt it runs on.
QString aboutText();

// Help > Keyboard Shortcuts: every action of `window` (menus, toolbar, pages) that has a
// shortcut, with what it does, read from the actions themselves so the list cannot go stale.
class ShortcutsDialog final : public QDialog {
    Q_OBJECT
public:
    explicit ShortcutsDialog(QWidget* window);
    QTableWidget* table() const { return table_; }

private:
    QTableWidget* table_;
};

} // namespace poolscope
