// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "app/command_line.h"
#include "poolcore/event_loop.h"

#include <iosfwd>

namespace poolscope {

// Runs `poolscope --headless`: starts the pool, submits the jobs, waits for every outcome, stops
// the pool gracefully and writes the report. `loop` drives an event-loop pool (nullptr: the
// built-in poll loop). While it runs, SIGINT, SIGTERM and SIGHUP stop the load gracefully (see
// README); the report still comes. Returns the process exit code: 128 + the first such signal
// when one came.
int run_headless(const HeadlessOptions& options, poolcore::EventLoop* loop, std::ostream& out,
                 std::ostream& err);

} // namespace poolscope
