// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/pool_action.h"

#include "poolcore/enum_text.h"

namespace poolscope {

namespace {

constexpr poolcore::EnumTable<PoolAction, kPoolActionCount> kActionNames{{
    {PoolAction::Start, "Start"},
    {PoolAction::Restart, "Restart"},
    {PoolAction::Stop, "Stop"},
    {PoolAction::Terminate, "Terminate"},
    {PoolAction::Close, "Close"},
    {PoolAction::Grow, "Grow"},
    {PoolAction::Shrink, "Shrink"},
}};

} // namespace

QString actionName(PoolAction action) {
    const auto name = poolcore::enum_text(kActionNames, action, "");
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

} // namespace poolscope
