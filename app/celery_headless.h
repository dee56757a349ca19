// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "app/command_line.h"

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>

namespace poolscope {

// `poolscope --headless --celery URL [--control CMD]... [--json]`: connects to the broker,
// waits for the workers to answer stats/active (or `timeout_s`), sends each control in turn,
// and prints one report of the cluster. Exit code 0, 1 if the broker could not be reached, 2 for
// a control that cannot be read.
int run_celery_headless(const CeleryOptions& options, double timeout_s, bool json,
                        std::ostream& out, std::ostream& err);

// "pool_grow=2" -> ("pool_grow", {"n": 2}); throws std::invalid_argument with the reason.
std::pair<std::string, nlohmann::json> parse_celery_control(const std::string& spec);

} // namespace poolscope
