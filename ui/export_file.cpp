// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/export_file.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <cerrno>
#include <cstring>

namespace poolscope {

namespace {

bool failed(const QString& path, const QString& why, QString* error) {
    if (error)
        *error = QCoreApplication::translate("poolscope", "Cannot write %1: %2").arg(path, why);
    return false;
}

} // namespace

bool writeExportFile(const QString& path, const QByteArray& bytes, QString* error) {
    // Unbuffered, so that a short write shows here: Qt 6.4's QSaveFile commits a buffered file
    // whose flush fell short (a full disk) as if it were whole.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return failed(path, file.errorString(), error);
    errno = 0;
    const qint64 written = bytes.isEmpty() ? 0 : file.write(bytes);
    if (written != bytes.size()) {
        const int cause = errno;
        file.cancelWriting(); // the earlier file, if any, stays as it was
        if (written < 0)
            return failed(path, file.errorString(), error);
        return failed(
            path,
            QCoreApplication::translate("poolscope", "only %1 of %2 bytes could be written (%3)")
                .arg(written)
                .arg(bytes.size())
                .arg(cause ? QString::fromLocal8Bit(std::strerror(cause))
                           : QCoreApplication::translate("poolscope", "is the disk full?")),
            error);
    }
    if (!file.commit())
        return failed(path, file.errorString(), error);
    return true;
}

namespace {
const QString kLastFolderKey = QStringLiteral("export/lastFolder");
}

QString exportDialogPath(ExportKind kind, const QString& file_name) {
    QString folder = QSettings().value(kLastFolderKey).toString();
    if (folder.isEmpty() || !QFileInfo(folder).isDir()) {
        folder = QStandardPaths::writableLocation(kind == ExportKind::Picture
                                                      ? QStandardPaths::PicturesLocation
                                                      : QStandardPaths::DocumentsLocation);
        if (folder.isEmpty() || !QFileInfo(folder).isDir())
            folder = QDir::homePath();
    }
    return QDir(folder).filePath(file_name);
}

void rememberExportFolder(const QString& saved_path) {
    QSettings().setValue(kLastFolderKey, QFileInfo(saved_path).absolutePath());
}

} // namespace poolscope
