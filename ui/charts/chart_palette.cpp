// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/chart_palette.h"

#include <QPalette>
#include <array>

namespace poolscope {

namespace {

QColor mix(const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t),
                            float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

// Eight hues that stay apart for common colour-vision deficiencies (after Okabe and Ito), in a
// version for light backgrounds and one for dark ones.
constexpr std::array<QRgb, 8> kLightSeries = {0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7,
                                              0xe69f00, 0x56b4e9, 0x7a5195, 0x6b6b00};
constexpr std::array<QRgb, 8> kDarkSeries = {0x56b4e9, 0xff8c42, 0x3ddc97, 0xf0a0c8,
                                             0xf0c341, 0x9ad4ff, 0xc39bff, 0xd8d860};

} // namespace

QColor ChartPalette::series(int i) const {
    const auto& set = dark ? kDarkSeries : kLightSeries;
    return QColor(set[std::size_t(i) % set.size()]);
}

ChartPalette ChartPalette::from(const QPalette& palette) {
    ChartPalette p;
    p.background = palette.color(QPalette::Base);
    p.foreground = palette.color(QPalette::Text);
    p.dark = p.background.lightnessF() < 0.5;
    p.muted = mix(p.background, p.foreground, 0.6);
    p.grid = mix(p.background, p.foreground, 0.16);
    p.subgrid = mix(p.background, p.foreground, 0.07);
    if (p.dark) {
        p.alive = QColor(0x56b4e9);
        p.busy = QColor(0xff8c42);
        p.succeeded = QColor(0x3ddc97);
        p.failed = QColor(0xff6b6b);
        p.lost = QColor(0xc39bff);
        p.timed_out = QColor(0xf0c341);
        p.p50 = QColor(0x56b4e9);
        p.p99 = QColor(0xff8c42);
        p.pending = QColor(0xf0a0c8);
        p.in_flight = QColor(0x56b4e9);
        p.writes = QColor(0x3ddc97);
        p.bars = QColor(0x56b4e9);
    } else {
        p.alive = QColor(0x0072b2);
        p.busy = QColor(0xd55e00);
        p.succeeded = QColor(0x009e73);
        p.failed = QColor(0xc0392b);
        p.lost = QColor(0x7a5195);
        p.timed_out = QColor(0xb07800);
        p.p50 = QColor(0x0072b2);
        p.p99 = QColor(0xd55e00);
        p.pending = QColor(0xcc79a7);
        p.in_flight = QColor(0x0072b2);
        p.writes = QColor(0x009e73);
        p.bars = QColor(0x0072b2);
    }
    p.target = p.muted;
    return p;
}

} // namespace poolscope
