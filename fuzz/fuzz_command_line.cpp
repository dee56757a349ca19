// SPDX-License-Identifier: GPL-3.0-or-later
// parse_command_line (app/command_line.cpp) under libFuzzer. An input is the arguments after the
// program's name, separated by NUL bytes and read as UTF-8 (fuzz/command_line.dict gives the
// fuzzer every option and value word). Whatever they are, parsing returns, and:
//   - it is deterministic: the same arguments give the same mode and text;
//   - an Error has a message, Help has the help text;
//   - a command line accepted for the desktop app or --headless gives options the pool itself
//     accepts (validate() and problems()), with the desktop app's saved settings too (overlay),
//     a count, tasks and times within what README states, and a payload every task can carry.
#include "app/command_line.h"

#include <QString>
#include <QStringList>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void violated(const char* property, int line) {
    std::fprintf(stderr, "fuzz_command_line: property violated (line %d): %s\n", line, property);
    std::abort();
}
#define REQUIRE(condition)                                                                         \
    do {                                                                                           \
        if (!(condition))                                                                          \
            violated(#condition, __LINE__);                                                        \
    } while (false)

bool time_in_range(double s) {
    return std::isfinite(s) && s > 0 && s <= poolcore::kMaxSeconds;
}

bool optional_time_in_range(const std::optional<poolcore::Seconds>& s) {
    return !s || time_in_range(s->count());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    QStringList arguments{QStringLiteral("poolscope")};
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (!rest.empty() && arguments.size() < 64) {
        const std::size_t end = std::min(rest.find('\0'), rest.size());
        arguments << QString::fromUtf8(rest.data(), qsizetype(end));
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }

    using poolscope::CommandLine;
    const CommandLine cl = poolscope::parse_command_line(arguments);
    const CommandLine again = poolscope::parse_command_line(arguments);
    REQUIRE(cl.mode == again.mode);
    REQUIRE(cl.text == again.text);

    switch (cl.mode) {
    case CommandLine::Mode::Error:
    case CommandLine::Mode::Help:
        REQUIRE(!cl.text.isEmpty());
        break;
    case CommandLine::Mode::Version:
        break;
    case CommandLine::Mode::Gui:
    case CommandLine::Mode::Headless: {
        const auto& h = cl.headless;
        h.pool.validate(); // throws (an uncaught exception: a crash) if the pool would refuse
        REQUIRE(h.pool.problems().empty());
        REQUIRE(h.count >= 0 && h.count <= 1'000'000'000);
        REQUIRE(!h.tasks.empty());
        for (const auto& call : h.tasks) {
            REQUIRE(!call.task.empty());
            REQUIRE(h.pool.payload_problem(h.payload_bytes, call.task, call.argument).empty());
        }
        REQUIRE(time_in_range(h.timeout_s));
        REQUIRE(time_in_range(h.stop_grace_s));
        REQUIRE(!h.chaos_kill_ms || (*h.chaos_kill_ms >= 1 && *h.chaos_kill_ms <= 3'600'000));
        REQUIRE(optional_time_in_range(h.pool.soft_time_limit));
        REQUIRE(optional_time_in_range(h.pool.time_limit));
        REQUIRE(!h.pool.soft_time_limit || !h.pool.time_limit ||
                *h.pool.soft_time_limit <= *h.pool.time_limit);
        if (cl.mode == CommandLine::Mode::Gui)
            REQUIRE(h.pool.start_method != poolcore::StartMethod::Fork);
        // The desktop app's saved settings (the defaults here) with the command line over them.
        const poolcore::PoolOptions desktop = cl.overlay(poolcore::PoolOptions{});
        desktop.validate();
        break;
    }
    }
    return 0;
}
