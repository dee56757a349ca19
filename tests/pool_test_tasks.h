// SPDX-License-Identifier: GPL-3.0-or-later
// Tasks only the behavioural tests need: they misbehave on the wire or report on the worker itself.
#pragma once

namespace harness {

// Registers list_fds, garbage_frame, oversized_frame, bogus_ready, close_channel and getpid. Runs
// in every process, workers included (the setup of POOLSCOPE_TEST_MAIN).
void register_test_tasks();

} // namespace harness
