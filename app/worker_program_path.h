// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>

namespace poolscope {

// poolscope-worker, the program spawned workers run as: beside this program (a build tree) or
// in ../libexec/poolscope (an installed tree). Empty when neither has it; spawned workers are
// then copies of this program, which works but starts slower and weighs more.
std::string find_worker_program();

} // namespace poolscope
