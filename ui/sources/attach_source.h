// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/monitor_protocol.h"
#include "ui/sources/pool_source.h"

#include <QStringList>
#include <memory>
#include <string>

namespace poolscope {

class QtEventLoop;

// Why Attach is missing where POOLCORE_HAS_MONITOR is 0.
inline constexpr const char* kNoAttachReason =
    "this build of poolcore has no monitor endpoint on Windows (its sockets are Unix-domain ones)";

#if POOLCORE_HAS_MONITOR

// A pool in another process, watched through its monitor socket (poolcore::MonitorServer) by a
// poolcore::MonitorClient on the GUI thread's loop. Its stats, info and job records are what the
// server last sent; its events are replayed to the window's observer; the control verbs go to
// the server, whose refusals reach `report`. The pool belongs to the program that runs it:
// Start is that program's, and shutting the source down only disconnects.
std::unique_ptr<PoolSource> make_attach_source(const std::string& socket_path, QtEventLoop& loop,
                                               poolcore::PoolObserver* observer,
                                               PoolSource::ErrorReporter report);

// A factory for PoolController that attaches to `socket_path` whatever the options say.
PoolSourceFactory attach_source_factory(std::string socket_path);

// Where pools started with a default --monitor path put their sockets:
// $XDG_RUNTIME_DIR/poolscope/, or /tmp/poolscope-<uid>/ without it.
QString monitor_runtime_directory();
// The sockets found there, full paths, sorted.
QStringList find_monitor_sockets();
#endif

} // namespace poolscope
