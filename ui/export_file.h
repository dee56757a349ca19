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
