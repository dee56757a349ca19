// SPDX-License-Identifier: GPL-3.0-or-later
// The main window on a laptop-sized screen: no minimum size larger than the screen, and, shown
// maximized in the light and the dark theme under load, every visible dock, chart and the status
// bar inside the screen. Each run takes its screen from POOLSCOPE_TEST_SCREEN ("1366x768") and
// its scale from QT_SCALE_FACTOR (ctest runs it at 1280×720, 1366×768, 1920×1080 and 2560×1440
// at scale 2, see window_tests.cmake), on Qt's offscreen platform with a screen of that size.
// It saves the window as poolscope-<screen>[-scale2]-<theme>.png in the build folder, the
// pictures README shows.

#include "gui_test_util.h"
#include "test_main.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/pages/load_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"

#include <QApplication>
#include <QDockWidget>
#include <QFile>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QToolBar>
#include <QtTest>
#include <cstdlib>
#include <qcustomplot.h>
#include <signal.h>
#include <string>

using namespace poolscope;

namespace {

QSize requestedScreen() {
    const QByteArray spec = qgetenv("POOLSCOPE_TEST_SCREEN");
    const QList<QByteArray> parts = spec.split('x');
    if (parts.size() == 2 && parts[0].toInt() > 0 && parts[1].toInt() > 0)
        return {parts[0].toInt(), parts[1].toInt()};
    return {1366, 768};
}

// Points the offscreen platform at a screen of the requested size in pixels (before
// QApplication exists).
void useScreen() {
    static QTemporaryDir dir;
    const QSize size = requestedScreen();
    const QString path = dir.filePath(QStringLiteral("screens.json"));
    QFile config(path);
    if (!config.open(QIODevice::WriteOnly))
        std::abort();
    config.write(QStringLiteral(R"({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": %1,
        "height": %2, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]})")
                     .arg(size.width())
                     .arg(size.height())
                     .toUtf8());
    config.close();
    qputenv("QT_QPA_PLATFORM", ("offscreen:configfile=" + path).toLocal8Bit());
}

QString screenTag() {
    const QSize s = requestedScreen();
    QString tag = QStringLiteral("%1x%2").arg(s.width()).arg(s.height());
    const double scale = qEnvironmentVariable("QT_SCALE_FACTOR", QStringLiteral("1")).toDouble();
    if (scale != 1.0)
        tag += QStringLiteral("-scale%1").arg(scale);
    return tag;
}

// `inner` inside `outer`, or a message saying which edge is outside.
QString outside(const QString& what, const QRect& inner, const QRect& outer) {
    if (outer.contains(inner))
        return {};
    return QStringLiteral("%1 at (%2,%3) %4×%5 is not inside the screen (%6,%7) %8×%9")
        .arg(what)
        .arg(inner.x())
        .arg(inner.y())
        .arg(inner.width())
        .arg(inner.height())
        .arg(outer.x())
        .arg(outer.y())
        .arg(outer.width())
        .arg(outer.height());
}

// Where a chart's legend covers its plot or its title, or is squeezed smaller than its entries
// need (then they spill over what is beside them); empty when it does not.
QString legendCollision(ChartView& chart) {
    QCustomPlot* plot = chart.plot();
    QCPLegend* legend = plot->legend;
    if (!legend || !legend->visible() || legend->itemCount() == 0)
        return {};
    const QRect box = legend->outerRect();
    const QString name = chart.title();
    const QSize needed = legend->minimumOuterSizeHint();
    // QCustomPlot's layout rounds each row's share: a pixel or two short is its rounding, not a
    // squeezed legend (which was 9 px short of 20 at 1366x768 before the charts grew).
    constexpr int kRounding = 2;
    if (box.height() + kRounding < needed.height() || box.width() + kRounding < needed.width())
        return QStringLiteral("%1: legend squeezed to %2×%3, needs %4×%5")
            .arg(name)
            .arg(box.width())
            .arg(box.height())
            .arg(needed.width())
            .arg(needed.height());
    for (int i = 0; i < legend->itemCount(); ++i)
        if (QCPAbstractLegendItem* item = legend->item(i); item && item->visible())
            if (!box.contains(item->outerRect()))
                return QStringLiteral("%1: legend entry %2 outside the legend").arg(name).arg(i);
    for (QCPAxisRect* rect : plot->axisRects())
        if (rect->visible() && box.intersects(rect->rect()))
            return QStringLiteral("%1: legend covers the plot").arg(name);
    if (auto* heading = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0)))
        if (box.intersects(heading->outerRect()))
            return QStringLiteral("%1: legend covers the title").arg(name);
    return {};
}

QRect globalRect(const QWidget* w) {
    return {w->mapToGlobal(QPoint(0, 0)), w->size()};
}

} // namespace

class WindowFitsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        test::isolateSettings();
        QScreen* screen = QGuiApplication::primaryScreen();
        QVERIFY(screen);
        const double scale =
            qEnvironmentVariable("QT_SCALE_FACTOR", QStringLiteral("1")).toDouble();
        // The platform really gave us the screen we asked for, in device pixels.
        QCOMPARE(QSize(qRound(screen->geometry().width() * scale),
                       qRound(screen->geometry().height() * scale)),
                 requestedScreen());
        qInfo("screen %s: %d×%d logical pixels", qPrintable(screenTag()),
              screen->geometry().width(), screen->geometry().height());
    }

    void minimumSizeFitsTheScreen() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QSize screen = QGuiApplication::primaryScreen()->availableGeometry().size();
        const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
        qInfo("minimum size %d×%d", minimum.width(), minimum.height());
        QVERIFY2(minimum.width() <= screen.width() && minimum.height() <= screen.height(),
                 qPrintable(QStringLiteral("minimum %1×%2 on a %3×%4 screen")
                                .arg(minimum.width())
                                .arg(minimum.height())
                                .arg(screen.width())
                                .arg(screen.height())));
    }

    void maximizedUnderLoad_data() {
        QTest::addColumn<int>("theme");
        QTest::newRow("light") << int(Theme::Light);
        QTest::newRow("dark") << int(Theme::Dark);
    }

    void maximizedUnderLoad() {
        QFETCH(int, theme);
        MainWindow window;
        window.setTheme(Theme(theme));
        window.showMaximized();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (ChartView* chart : window.charts())
            chart->setWindowSeconds(8);

        poolcore::PoolOptions options;
        options.processes = 4;
        window.settingsPage()->setOptions(options);
        QVERIFY(window.startPool());
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().lastSnapshot().alive_processes, 4, 10000);
        LoadSpec load;
        load.task = "sleep";
        load.argument = "10";
        load.mode = LoadSpec::Mode::Rate;
        load.jobs_per_second = 300;
        window.loadPage()->setSpec(load);
        QTest::mouseClick(window.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(window.generator().isRunning());
        QTest::qWait(2500);
        // A worker killed mid-job: a mark on the timeline and every chart, and a replacement.
        const auto workers = window.controller().lastSnapshot().workers;
        QVERIFY(!workers.empty());
        QVERIFY(window.controller().killWorker(workers.front().pid, SIGKILL));
        QTest::qWait(2500);
        QVERIFY(window.generator().completed() > 200);

        const QRect screen = QGuiApplication::primaryScreen()->availableGeometry();
        QString errors;
        auto check = [&](const QString& what, const QWidget* w) {
            const QString e = outside(what, globalRect(w), screen);
            if (!e.isEmpty())
                errors += e + QLatin1Char('\n');
        };
        check(QStringLiteral("the window"), &window);
        check(QStringLiteral("the status bar"), window.statusBar());
        QVERIFY(window.statusBar()->isVisible());
        // Each dock in turn brought to the front of its tab group, as a user would click it.
        int docks = 0;
        for (QDockWidget* dock : window.findChildren<QDockWidget*>()) {
            if (!dock->isVisible())
                continue;
            dock->raise();
            QCoreApplication::processEvents();
            QVERIFY2(!dock->visibleRegion().isEmpty(), qPrintable(dock->windowTitle()));
            ++docks;
            check(dock->windowTitle(), dock);
        }
        QVERIFY(docks >= 3);
        for (QToolBar* bar : window.findChildren<QToolBar*>())
            if (bar->isVisible())
                check(bar->windowTitle(), bar);
        // The chart grid scrolls where the screen is too short for every chart: each must be
        // reachable, inside the screen once scrolled to, and never scrolled sideways.
        auto* chart_scroll = window.findChild<QScrollArea*>(QStringLiteral("chartScroll"));
        QVERIFY(chart_scroll);
        check(QStringLiteral("the chart area"), chart_scroll);
        for (ChartView* chart : window.charts()) {
            QVERIFY2(chart->isVisible(), qPrintable(chart->title()));
            chart_scroll->ensureWidgetVisible(chart, 0, 0);
            QCoreApplication::processEvents();
            check(chart->title(), chart);
            QVERIFY2(chart->width() <= chart_scroll->viewport()->width(),
                     qPrintable(chart->title()));
            // A chart too small to read is as bad as one off-screen.
            QVERIFY2(chart->height() >= ChartView::kMinimumHeight, qPrintable(chart->title()));
            chart->replotNow();
            const QString problem = legendCollision(*chart);
            if (!problem.isEmpty())
                errors += problem + QLatin1Char('\n');
            // Each chart as the user sees it, to look at (not in docs/).
            const QString chart_name =
                QStringLiteral("%1/chart-%2-%3-%4.png")
                    .arg(QStringLiteral(POOLSCOPE_SCREENSHOT_DIR), screenTag(),
                         QString::fromLatin1(QTest::currentDataTag()),
                         chart->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-')));
            chart->grab().save(chart_name);
        }
        QVERIFY2(errors.isEmpty(), qPrintable(errors));

        // The picture shows the top of the chart grid, as the window opens, and the load
        // generator at work.
        chart_scroll->verticalScrollBar()->setValue(0);
        for (QDockWidget* dock : window.findChildren<QDockWidget*>())
            if (dock->objectName() == QLatin1String("loadDock"))
                dock->raise();
        for (ChartView* chart : window.charts())
            chart->replotNow();
        const QImage image = window.grab().toImage();
        const QString name = QStringLiteral("%1/poolscope-%2-%3.png")
                                 .arg(QStringLiteral(POOLSCOPE_SCREENSHOT_DIR), screenTag(),
                                      QString::fromLatin1(QTest::currentDataTag()));
        QVERIFY(image.save(name));
        qInfo("screenshot: %s (%d×%d)", qPrintable(name), image.width(), image.height());

        window.generator().stop();
        window.controller().terminate();
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().state(), poolcore::PoolState::Stopped, 10000);
    }
};

POOLSCOPE_TEST_MAIN(WindowFitsTest, QApplication, useScreen)
#include "test_window_fits.moc"
