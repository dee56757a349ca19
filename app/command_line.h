// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/options.h"

#include <QStringList>
#include <optional>
#include <string>
#include <vector>

namespace poolscope {

enum class LoopKind { Poll, Qt };

// Everything `poolscope --headless` was asked to do. This interface is scripted by others: keep
// its options stable.
struct HeadlessOptions {
    poolcore::PoolOptions pool;
    std::vector<poolcore::TaskCall> tasks; // used round-robin
    long long count = 1000;
    std::size_t payload_bytes = 0;
    std::optional<int> chaos_kill_ms;
    LoopKind loop = LoopKind::Poll;
    bool json = false;
    bool verbose = false;
    double timeout_s = 600;
};

struct CommandLine {
    enum class Mode { Gui, Headless, Help, Version, Error } mode = Mode::Gui;
    HeadlessOptions headless;
    QString text; // the help text, or the one-line error
};

CommandLine parse_command_line(const QStringList& arguments);

} // namespace poolscope
