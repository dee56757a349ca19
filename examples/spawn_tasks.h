// SPDX-License-Identifier: MIT
#pragma once

// The tasks of the spawn example, registered by both of its programs: the app that runs the
// pool and the worker program its workers are started as. A spawned worker knows only what its
// own main() registered, so both must register the same tasks under the same names.
#include "poolcore/task_registry.h"

#include <string>

inline void register_example_tasks() {
    poolcore::TaskRegistry::global().add({"shout", "", "Upper-cases the payload"},
                                         [](const poolcore::TaskContext& ctx) {
                                             std::string text(ctx.payload());
                                             for (char& c : text)
                                                 if (c >= 'a' && c <= 'z')
                                                     c = char(c - 'a' + 'A');
                                             return text;
                                         });
}
