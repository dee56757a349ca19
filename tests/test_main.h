// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// main() for test programs that start pools. Before Qt Test starts its watchdog thread it hands
// spawned processes to poolcore (the spawn start method re-enters this very program) and starts
// the forkserver the tests share, the way an application's main() does.

#include "poolcore/forkserver.h"
#include "poolcore/worker_entry.h"

#include <QTest>
#include <memory>

namespace testmain {
// The forkserver started before any thread existed; shared by every forkserver test variant.
inline std::shared_ptr<poolcore::ForkServer>& forkserver() {
    static std::shared_ptr<poolcore::ForkServer> server;
    return server;
}
} // namespace testmain

// `setup` runs first in every process, workers included: register test tasks there.
#define POOLSCOPE_TEST_MAIN(TestObject, Application, setup)                                        \
    int main(int argc, char** argv) {                                                              \
        setup();                                                                                   \
        poolcore::run_worker_if_requested(argc, argv);                                             \
        testmain::forkserver() = poolcore::ForkServer::start();                                    \
        Application app(argc, argv);                                                               \
        TestObject test;                                                                           \
        QTEST_SET_MAIN_SOURCE_PATH                                                                 \
        return QTest::qExec(&test, argc, argv);                                                    \
    }

inline void no_test_setup() {}
