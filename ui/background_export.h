// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <functional>

namespace poolscope {

// Serializes and writes an export on a thread of its own, so that the GUI thread (and an
// event-loop pool running on it) never waits for a large document or a slow disk: the caller
// hands over a copy of what to export, and hears `finished` on its own thread. One export at a
// time; the file is written whole or not at all (writeExportFile).
class BackgroundExport final : public QObject {
    Q_OBJECT
public:
    // Turns the copied data into the file's bytes; runs on the export thread. Sets `error` and
    // returns an empty array when it cannot.
    using Produce = std::function<QByteArray(QString* error)>;

    explicit BackgroundExport(QObject* parent = nullptr);
    ~BackgroundExport() override; // waits for an export under way

    // False (and nothing starts) while an earlier export is still being written.
    bool start(const QString& path, Produce produce);
    bool isBusy() const { return busy_; }
    // Blocks until the export under way has finished; false on timeout.
    bool waitForDone(int timeout_ms);

Q_SIGNALS:
    // `error` is empty on success.
    void finished(const QString& path, const QString& error);

private:
    QThreadPool thread_;
    bool busy_ = false;
};

} // namespace poolscope
