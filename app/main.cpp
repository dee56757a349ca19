// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/command_line.h"
#include "app/headless_run.h"
#include "ui/bridge/qt_event_loop.h"

#include <QCoreApplication>
#include <cstdio>
#include <iostream>
#include <memory>

#ifdef POOLSCOPE_HAVE_GUI
#include "ui/gui_main.h"
#endif

int main(int argc, char** argv) {
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    const poolscope::CommandLine cl = poolscope::parse_command_line(arguments);

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
        if (cl.headless.loop == poolscope::LoopKind::Qt) {
            QCoreApplication app(argc, argv);
            poolscope::QtEventLoop loop;
            return poolscope::run_headless(cl.headless, &loop, std::cout, std::cerr);
        }
        return poolscope::run_headless(cl.headless, nullptr, std::cout, std::cerr);
    }
    case poolscope::CommandLine::Mode::Gui:
#ifdef POOLSCOPE_HAVE_GUI
        return poolscope::run_gui(argc, argv, cl.headless.pool);
#else
        std::fputs("poolscope: this build has no desktop interface; use --headless\n", stderr);
        return 2;
#endif
    }
    return 2;
}
