// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace poolscope {

// Writes an export in full or not at all: the bytes go to a temporary file beside `path`, which
// replaces `path` only once everything is on disk. A full disk, a missing folder or a read-only
// folder leaves any earlier file untouched and says why in `error` ("Cannot write PATH: ...").
bool writeExportFile(const QString& path, const QByteArray& bytes, QString* error);

} // namespace poolscope

namespace poolscope {

// Where a save dialog starts: the folder the user last saved an export to (remembered across
// sessions), else the user's Documents (data) or Pictures (charts) folder as XDG names them,
// else home; never the working directory (which is the build folder when run from a build).
enum class ExportKind { Data, Picture };
QString exportDialogPath(ExportKind kind, const QString& file_name);
// Remembers the folder of `saved_path` for the next dialog.
void rememberExportFolder(const QString& saved_path);

} // namespace poolscope
