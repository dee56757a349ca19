// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the app needs of its console that differs between operating systems.
namespace poolscope {

// True when the program was started with no standard output at all (`>&-` in a shell), as
// opposed to one that leads nowhere useful: the report then cannot be written and the run fails.
bool standard_output_closed();

// On Windows the app is a GUI-subsystem program, which starts without a console even from a
// terminal. Text modes (--headless, --help, --version) call this to write to the terminal they
// were started from, if any. Elsewhere it does nothing.
void attach_parent_console();

} // namespace poolscope
