// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/celery_headless.h"
#include "app/command_line.h"
#include "app/headless_run.h"
#include "app/platform_console.h"
#include "app/worker_program_path.h"
#include "poolcore/forkserver.h"
#include "poolcore/worker_entry.h"
#include "qtloop/qt_event_loop.h"

#include <QCoreApplication>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <memory>
#include <streambuf>

#ifdef POOLSCOPE_HAVE_GUI
#include "app/gui_main.h"
#endif

namespace {

// The app's default start method. Its forkserver starts here, while the process still runs one
// thread: QApplication and its platform plugin add several.
std::shared_ptr<poolcore::ForkServer> start_forkserver_if_used(poolcore::PoolOptions& pool,
                                                               bool gui) {
    // The desktop app can switch to forkserver at any Start, so it always has one ready; its
    // saved settings choose the method unless the command line does. Headless, forkserver is
    // the default (see run_headless).
    if (!gui && pool.start_method.value_or(poolcore::StartMethod::Forkserver) !=
                    poolcore::StartMethod::Forkserver)
        return nullptr;
    try {
        pool.forkserver = poolcore::ForkServer::start();
    } catch (const std::exception& e) {
        // The pool starts its own (spawned) forkserver later, and says so if that fails too.
        std::fprintf(stderr, "poolscope: could not start the forkserver early: %s\n", e.what());
    }
    return pool.forkserver;
}

// Where the report goes when the program was started with stdout closed: every write fails as
// one to a closed descriptor does, so that the run says it could not write its report and fails.
class ClosedOutput final : public std::streambuf {
protected:
    int_type overflow(int_type) override {
        errno = EBADF;
        return traits_type::eof();
    }
};

} // namespace

int main(int argc, char** argv) {
    // Looked at before run_worker_if_requested puts /dev/null on a closed stdout.
    const bool stdout_closed = poolscope::standard_output_closed();
    // Spawned workers and forkservers are this program too: they leave here.
    poolcore::run_worker_if_requested(argc, argv);

    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    poolscope::CommandLine cl = poolscope::parse_command_line(arguments);
    if (cl.headless.pool.worker_program.empty())
        cl.headless.pool.worker_program = poolscope::find_worker_program();

    if (cl.mode != poolscope::CommandLine::Mode::Gui)
        poolscope::attach_parent_console();
    switch (cl.mode) {
    case poolscope::CommandLine::Mode::Error:
        std::fprintf(stderr, "poolscope: %s (see --help)\n", qPrintable(cl.text));
        return 2;
    case poolscope::CommandLine::Mode::Help:
        std::fputs(qPrintable(cl.text), stdout);
        return 0;
    case poolscope::CommandLine::Mode::Version:
        std::puts("poolscope " POOLSCOPE_VERSION);
        return 0;
    case poolscope::CommandLine::Mode::Headless: {
        if (!cl.celery.url.empty())
            return poolscope::run_celery_headless(cl.celery, cl.celery.timeout_s, cl.headless.json,
                                                  std::cout, std::cerr);
        const auto forkserver = start_forkserver_if_used(cl.headless.pool, false);
        ClosedOutput closed;
        std::ostream closed_stdout(&closed);
        std::ostream& out = stdout_closed ? closed_stdout : std::cout;
        try {
            if (cl.headless.loop == poolscope::LoopKind::Qt) {
                QCoreApplication app(argc, argv);
                poolscope::QtEventLoop loop;
                return poolscope::run_headless(cl.headless, &loop, out, std::cerr);
            }
            return poolscope::run_headless(cl.headless, nullptr, out, std::cerr);
        } catch (const std::exception& e) {
            // What the runner does not turn into a report (the OS refusing the loop itself, say)
            // is still a message and exit 1, never an abort.
            std::fprintf(stderr, "poolscope: %s\n", e.what());
            return 1;
        }
    }
    case poolscope::CommandLine::Mode::Gui:
#ifdef POOLSCOPE_HAVE_GUI
    {
        const auto forkserver = start_forkserver_if_used(cl.headless.pool, true);
        return poolscope::run_gui(
            argc, argv, [&cl](const poolcore::PoolOptions& saved) { return cl.overlay(saved); },
            cl.celery.url, cl.attach_socket, cl.celery.global_keyprefix);
    }
#else
        std::fputs("poolscope: this build has no desktop interface; use --headless\n", stderr);
        return 2;
#endif
    }
    return 2;
}
