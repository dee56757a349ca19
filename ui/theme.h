// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace poolscope {

enum class Theme { System, Light, Dark };

QString themeKey(Theme theme); // "system", "light", "dark": what QSettings stores
Theme themeFromKey(const QString& key);

// Applies `theme` to the whole application. Light and Dark use the Fusion style with a fixed
// palette, so they look the same everywhere; System restores the style and palette the
// application started with. Widgets, and the charts, follow through QEvent::PaletteChange.
void applyTheme(Theme theme);

} // namespace poolscope
