// SPDX-License-Identifier: GPL-3.0-or-later
// Compiled with nothing but poolcore/include (and the libraries poolcore's face names) on the
// include path: a public header that reaches into src/ breaks the build here.
#include "poolcore/blocking_pool.h"
#include "poolcore/enum_text.h"
#include "poolcore/event_loop.h"
#include "poolcore/forkserver.h"
#include "poolcore/job.h"
#include "poolcore/launcher.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"
#include "poolcore/stats.h"
#include "poolcore/task_pool.h"
#include "poolcore/task_registry.h"
#include "poolcore/unique_fd.h"
#include "poolcore/worker_entry.h"
