// SPDX-License-Identifier: MIT
// Windows has no process title: Task Manager shows the image name and its command line, which
// the spawn launcher already makes say what the worker is. Nothing to do.
#include "platform/process_title.h"

namespace poolcore {

void set_worker_process_title(int) {}
void set_forkserver_process_title() {}
bool sets_process_titles() {
    return false;
}

} // namespace poolcore
