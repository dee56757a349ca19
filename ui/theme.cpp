// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/theme.h"

#include "poolcore/enum_text.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>
#include <QStyle>
#include <QStyleFactory>

namespace poolscope {

namespace {

constexpr poolcore::EnumTable<Theme, 3> kThemeKeys{{
    {Theme::System, "system"},
    {Theme::Light, "light"},
    {Theme::Dark, "dark"},
}};

} // namespace

QString themeKey(Theme theme) {
    const auto key = poolcore::enum_text(kThemeKeys, theme, "system");
    return QString::fromLatin1(key.data(), qsizetype(key.size()));
}

Theme themeFromKey(const QString& key) {
    return poolcore::enum_parse(kThemeKeys, key.toStdString()).value_or(Theme::System);
}

namespace {

QPalette lightPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0xef, 0xef, 0xef));
    p.setColor(QPalette::WindowText, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::AlternateBase, QColor(0xf5, 0xf5, 0xf5));
    p.setColor(QPalette::ToolTipBase, QColor(0xff, 0xff, 0xdc));
    p.setColor(QPalette::ToolTipText, Qt::black);
    p.setColor(QPalette::PlaceholderText, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Text, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::Button, QColor(0xef, 0xef, 0xef));
    p.setColor(QPalette::ButtonText, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Highlight, QColor(0x30, 0x8c, 0xc6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x1d, 0x5f, 0xb0));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x9a, 0x9a, 0x9a));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x9a, 0x9a, 0x9a));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x9a, 0x9a, 0x9a));
    // A disabled field is the window's colour, not a white one waiting for input.
    p.setColor(QPalette::Disabled, QPalette::Base, QColor(0xef, 0xef, 0xef));
    return p;
}

QPalette darkPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x30));
    p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
    p.setColor(QPalette::ToolTipBase, QColor(0x3c, 0x3f, 0x41));
    p.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8a, 0x8a));
    p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3b));
    p.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x8e, 0xd0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xb4, 0xff));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x40, 0x43, 0x47));
    p.setColor(QPalette::Mid, QColor(0x30, 0x32, 0x36));
    p.setColor(QPalette::Dark, QColor(0x1a, 0x1b, 0x1d));
    p.setColor(QPalette::Shadow, QColor(0x10, 0x10, 0x10));
    // Disabled: dimmer text on the window's own grey, so that a greyed field stops looking like
    // one that takes input (its text was nearly as bright, on the same dark base).
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6e, 0x70, 0x74));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x6e, 0x70, 0x74));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6e, 0x70, 0x74));
    p.setColor(QPalette::Disabled, QPalette::Base, QColor(0x2b, 0x2d, 0x30));
    p.setColor(QPalette::Disabled, QPalette::Button, QColor(0x2f, 0x31, 0x35));
    return p;
}

struct Original {
    QString style;
    QPalette palette;
};

Original& original() {
    static Original o = [] {
        Original r;
        r.style = QApplication::style() ? QApplication::style()->name() : QString();
        r.palette = QApplication::palette();
        return r;
    }();
    return o;
}

} // namespace

void applyTheme(Theme theme) {
    const Original& o = original(); // remembered before the first change
    switch (theme) {
    case Theme::System:
        if (!o.style.isEmpty())
            QApplication::setStyle(QStyleFactory::create(o.style));
        QApplication::setPalette(o.palette);
        break;
    case Theme::Light:
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(lightPalette());
        break;
    case Theme::Dark:
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
        break;
    }
}

namespace {

QPixmap glyphPixmap(Glyph glyph, const QColor& colour, int size) {
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(colour);
    const double m = size * 0.2; // the style's media icons leave about this much around
    if (glyph == Glyph::Play) {
        QPainterPath triangle;
        triangle.moveTo(m * 1.2, m);
        triangle.lineTo(size - m, size / 2.0);
        triangle.lineTo(m * 1.2, size - m);
        triangle.closeSubpath();
        painter.drawPath(triangle);
    } else {
        painter.drawRoundedRect(QRectF(m, m, size - 2 * m, size - 2 * m), size * 0.06, size * 0.06);
    }
    return pixmap;
}

} // namespace

QIcon paletteIcon(Glyph glyph, const QPalette& palette) {
    QIcon icon;
    for (int size : {16, 24, 32, 48}) {
        icon.addPixmap(
            glyphPixmap(glyph, palette.color(QPalette::Active, QPalette::ButtonText), size),
            QIcon::Normal);
        icon.addPixmap(
            glyphPixmap(glyph, palette.color(QPalette::Disabled, QPalette::ButtonText), size),
            QIcon::Disabled);
    }
    return icon;
}

} // namespace poolscope
