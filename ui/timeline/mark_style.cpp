// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/timeline/mark_style.h"

namespace poolscope {

QColor markColour(const ChartPalette& p, MarkKind k) {
    switch (k) {
    case MarkKind::WorkerUp:
        return p.alive;
    case MarkKind::WorkerExit:
    case MarkKind::HardKill:
        return p.lost;
    case MarkKind::SoftLimit:
        return p.timed_out;
    case MarkKind::Recycle:
    case MarkKind::Restart:
    case MarkKind::Resize:
        return p.target;
    case MarkKind::Forkserver:
        return p.failed;
    case MarkKind::Control:
        return p.muted;
    }
    return p.muted;
}

} // namespace poolscope
