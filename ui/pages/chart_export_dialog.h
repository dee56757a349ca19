// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/charts/chart_view.h"

#include <QDialog>
#include <optional>

class QSpinBox;

namespace poolscope {

// Asks for the size and resolution of saved chart images.
class ChartExportDialog final : public QDialog {
    Q_OBJECT
public:
    ChartExportDialog(const ChartExport& initial, const QString& what, QWidget* parent = nullptr);
    ChartExport value() const;

    // Shows the dialog; nullopt when cancelled.
    static std::optional<ChartExport> ask(QWidget* parent, const ChartExport& initial,
                                          const QString& what);

private:
    ChartExport initial_;
    QSpinBox* width_;
    QSpinBox* height_;
    QSpinBox* dpi_;
};

} // namespace poolscope
