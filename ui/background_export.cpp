// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/background_export.h"

#include "ui/export_file.h"

#include <QMetaObject>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace poolscope {

BackgroundExport::BackgroundExport(QObject* parent) : QObject(parent) {
    thread_.setMaxThreadCount(1);
    thread_.setExpiryTimeout(5000);
}

BackgroundExport::~BackgroundExport() {
    thread_.waitForDone();
}

bool BackgroundExport::start(const QString& path, Produce produce) {
    if (busy_)
        return false;
    busy_ = true;
    thread_.start([this, path, produce = std::move(produce)] {
#ifdef __linux__
        // Lowest CPU priority for this thread alone (Linux niceness is per thread): on a machine
        // whose cores the workers fill, the export must not take time from the GUI thread,
        // which an event-loop pool shares. QThread priorities do not apply to pool threads.
        ::setpriority(PRIO_PROCESS, id_t(::syscall(SYS_gettid)), 19);
#endif
        QString error;
        const QByteArray bytes = produce(&error);
        if (error.isEmpty())
            writeExportFile(path, bytes, &error);
        // Back on the owner's thread; the destructor waits for this task, so `this` lives.
        QMetaObject::invokeMethod(
            this,
            [this, path, error] {
                busy_ = false;
                Q_EMIT finished(path, error);
            },
            Qt::QueuedConnection);
    });
    return true;
}

bool BackgroundExport::waitForDone(int timeout_ms) {
    return thread_.waitForDone(timeout_ms);
}

} // namespace poolscope
