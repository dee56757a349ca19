// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// One table per enum, one lookup in each direction: the names an enum is shown and parsed by
/// live in a single constexpr array beside the enum's to_string()/parse_*() definitions.
///
///     constexpr EnumTable<Strategy, 2> kStrategyNames{{{Strategy::Fair, "fair"},
///                                                     {Strategy::Fcfs, "fcfs"}}};
///     std::string_view to_string(Strategy s) { return enum_text(kStrategyNames, s); }

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace poolcore {

/// The names of an enum's values, one row per value.
template <typename Enum, std::size_t N>
using EnumTable = std::array<std::pair<Enum, std::string_view>, N>;

/// The name of `value`; `unknown` for a value the table does not list (a cast from a number).
template <typename Enum, std::size_t N>
constexpr std::string_view enum_text(const EnumTable<Enum, N>& table, Enum value,
                                     std::string_view unknown = "unknown") {
    for (const auto& [e, name] : table)
        if (e == value)
            return name;
    return unknown;
}

/// The value named exactly `text`; nullopt when no row has that name.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> enum_parse(const EnumTable<Enum, N>& table, std::string_view text) {
    for (const auto& [e, name] : table)
        if (name == text)
            return e;
    return std::nullopt;
}

} // namespace poolcore
