// SPDX-License-Identifier: MIT
#include "poolcore/launcher.h"

#include "platform/process_launcher.h"

void std::default_delete<poolcore::ProcessLauncher>::operator()(
    poolcore::ProcessLauncher* launcher) const {
    delete launcher;
}
