// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/chart_export_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>

namespace poolscope {

ChartExportDialog::ChartExportDialog(const ChartExport& initial, const QString& what,
                                     QWidget* parent)
    : QDialog(parent), initial_(initial), width_(new QSpinBox), height_(new QSpinBox),
      dpi_(new QSpinBox) {
    setWindowTitle(tr("Save %1").arg(what));
    setObjectName(QStringLiteral("chartExportDialog"));
    auto* form = new QFormLayout(this);
    for (QSpinBox* box : {width_, height_}) {
        box->setRange(100, 8000);
        box->setSuffix(tr(" px"));
        box->setGroupSeparatorShown(true);
    }
    width_->setObjectName(QStringLiteral("exportWidth"));
    height_->setObjectName(QStringLiteral("exportHeight"));
    dpi_->setObjectName(QStringLiteral("exportDpi"));
    dpi_->setRange(48, 1200);
    dpi_->setSuffix(tr(" dpi"));
    width_->setValue(initial.width);
    height_->setValue(initial.height);
    dpi_->setValue(initial.dpi);
    auto* note = new QLabel(tr("Size at 96 dpi; the image has (dpi ÷ 96) times as many pixels. "
                               "The title line says when and with which pool settings."));
    note->setWordWrap(true);
    form->addRow(tr("&Width:"), width_);
    form->addRow(tr("&Height:"), height_);
    form->addRow(tr("&Resolution:"), dpi_);
    form->addRow(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

ChartExport ChartExportDialog::value() const {
    ChartExport out = initial_;
    out.width = width_->value();
    out.height = height_->value();
    out.dpi = dpi_->value();
    return out;
}

std::optional<ChartExport> ChartExportDialog::ask(QWidget* parent, const ChartExport& initial,
                                                  const QString& what) {
    ChartExportDialog dialog(initial, what, parent);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return dialog.value();
}

} // namespace poolscope
