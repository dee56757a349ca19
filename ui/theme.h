// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QString>

class QPalette;

namespace poolscope {

enum class Theme { System, Light, Dark };

QString themeKey(Theme theme); // "system", "light", "dark": what QSettings stores
Theme themeFromKey(const QString& key);

// Applies `theme` to the whole application. Light and Dark use the Fusion style with a fixed
// palette, so they look the same everywhere; System restores the style and palette the
// application started with. Widgets, and the charts, follow through QEvent::PaletteChange.
void applyTheme(Theme theme);

// A media glyph drawn in the palette's button text colour (and its disabled colour for the
// disabled state), so that it reads on a dark button as on a light one: the style's own media
// icons are black whatever the theme. Redraw it on QEvent::PaletteChange.
enum class Glyph { Play, Stop };
QIcon paletteIcon(Glyph glyph, const QPalette& palette);

} // namespace poolscope
