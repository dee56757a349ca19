// SPDX-License-Identifier: GPL-3.0-or-later
// Renders the main window under load, in the light and the dark theme, to PNG files in the build
// folder (poolscope-light.png, poolscope-dark.png) for a person to look at, and checks that
// what was rendered holds live data.

#include "gui_test_util.h"
#include "test_main.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/pages/event_log_page.h"
#include "ui/pages/info_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"

#include <QApplication>
#include <QImage>
#include <QLineEdit>
#include <QPushButton>
#include <QSet>
#include <QTabWidget>
#include <QtTest>
#include <signal.h>

using namespace poolscope;

class ScreenshotTest : public QObject {
    Q_OBJECT
    // The mean lightness (0-255) of the opaque pixels of a button's icon in `mode`.
    static double iconLightness(const QPushButton* button, QIcon::Mode mode) {
        const QImage image = button->icon().pixmap(QSize(16, 16), mode).toImage();
        double sum = 0;
        int opaque = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                if (const QColor c = image.pixelColor(x, y); c.alpha() > 200) {
                    sum += c.lightness();
                    ++opaque;
                }
        return opaque ? sum / opaque : -1;
    }

private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    // The dark theme's defects: greyed fields looked like live ones, and Stop Load's icon was
    // black on dark grey. Both themes: a disabled field is drawn on the window's colour with
    // dimmer text, and each load button's glyph stands out from its button, enabled or not.
    void themesGreyDisabledFieldsAndDrawReadableIcons_data() {
        QTest::addColumn<int>("theme");
        QTest::newRow("light") << int(Theme::Light);
        QTest::newRow("dark") << int(Theme::Dark);
    }
    void themesGreyDisabledFieldsAndDrawReadableIcons() {
        QFETCH(int, theme);
        MainWindow window;
        window.setTheme(Theme(theme));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QPalette p = QApplication::palette();
        QVERIFY(p.color(QPalette::Disabled, QPalette::Base) !=
                p.color(QPalette::Active, QPalette::Base));
        QCOMPARE(p.color(QPalette::Disabled, QPalette::Base), p.color(QPalette::Window));
        const int text_contrast = qAbs(p.color(QPalette::Active, QPalette::Text).lightness() -
                                       p.color(QPalette::Active, QPalette::Base).lightness());
        const int disabled_contrast = qAbs(p.color(QPalette::Disabled, QPalette::Text).lightness() -
                                           p.color(QPalette::Disabled, QPalette::Base).lightness());
        QVERIFY2(disabled_contrast < text_contrast / 2,
                 qPrintable(QStringLiteral("%1 vs %2").arg(disabled_contrast).arg(text_contrast)));

        for (QPushButton* button :
             {window.loadPage()->startButton(), window.loadPage()->stopButton()}) {
            const int background = p.color(QPalette::Button).lightness();
            const double normal = iconLightness(button, QIcon::Normal);
            const double disabled = iconLightness(button, QIcon::Disabled);
            QVERIFY2(normal >= 0 && qAbs(normal - background) > 100,
                     qPrintable(button->text() +
                                QStringLiteral(": glyph %1 on %2").arg(normal).arg(background)));
            QVERIFY2(
                disabled >= 0 && qAbs(disabled - background) > 30 &&
                    qAbs(disabled - background) < qAbs(normal - background),
                qPrintable(button->text() + QStringLiteral(": disabled glyph %1").arg(disabled)));
        }
        // The theme can change while the window is open: the glyphs follow.
        const double before = iconLightness(window.loadPage()->stopButton(), QIcon::Normal);
        window.setTheme(Theme(theme) == Theme::Dark ? Theme::Light : Theme::Dark);
        QCoreApplication::processEvents();
        const double after = iconLightness(window.loadPage()->stopButton(), QIcon::Normal);
        QVERIFY2(qAbs(after - before) > 100,
                 qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
    }

    void rendersWindowUnderLoad_data() {
        QTest::addColumn<int>("theme");
        QTest::newRow("light") << int(Theme::Light);
        QTest::newRow("dark") << int(Theme::Dark);
    }

    void rendersWindowUnderLoad() {
        QFETCH(int, theme);
        MainWindow window;
        window.setTheme(Theme(theme));
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // A short window, so that the few seconds of this test fill the charts.
        for (ChartView* chart : window.charts())
            chart->setWindowSeconds(8);

        poolcore::PoolOptions options;
        options.processes = 4;
        window.settingsPage()->setOptions(options);
        QVERIFY(window.startPool());
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().lastSnapshot().alive_processes, 4, 10000);

        // Sleeping jobs at about three quarters of what four workers can do, so that the
        // charts show busy workers, a queue, latency and throughput.
        LoadSpec load;
        load.task = "sleep";
        load.argument = "10";
        load.mode = LoadSpec::Mode::Rate;
        load.jobs_per_second = 300;
        window.loadPage()->setSpec(load);
        QTest::mouseClick(window.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(window.generator().isRunning());
        QTest::qWait(2500);
        // A worker killed mid-job: a lost job, a dip in the process chart and a replacement.
        const auto workers = window.controller().lastSnapshot().workers;
        QVERIFY(!workers.empty());
        QVERIFY(window.controller().killWorker(workers.front().pid, SIGKILL));
        QTest::qWait(3500);

        QVERIFY(window.generator().completed() > 500);
        QVERIFY(window.history().samples().size() > 60);
        for (ChartView* chart : window.charts())
            chart->replotNow();
        const QImage image = window.grab().toImage();
        QCOMPARE(image.width(), 1600);
        const QString name = QStringLiteral("%1/poolscope-%2.png")
                                 .arg(QStringLiteral(POOLSCOPE_SCREENSHOT_DIR),
                                      QString::fromLatin1(QTest::currentDataTag()));
        QVERIFY(image.save(name));
        qInfo("screenshot: %s", qPrintable(name));

        // A blank or broken render has a handful of colours; charts, text and icons have many.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 3)
            for (int x = 0; x < image.width(); x += 3)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 200, qPrintable(QString::number(colours.size())));

        // The other two tabs, which the picture above hides: the event log with the kill in it,
        // and the info report.
        for (QWidget* page : {static_cast<QWidget*>(window.eventLogPage()),
                              static_cast<QWidget*>(window.infoPage())}) {
            window.tabs()->setCurrentWidget(page);
            if (page == window.infoPage())
                window.infoPage()->refresh();
            const QString tab =
                page == window.infoPage() ? QStringLiteral("info") : QStringLiteral("events");
            const QString file = QStringLiteral("%1/poolscope-%2-%3.png")
                                     .arg(QStringLiteral(POOLSCOPE_SCREENSHOT_DIR),
                                          QString::fromLatin1(QTest::currentDataTag()), tab);
            QVERIFY(window.tabs()->grab().save(file));
            qInfo("screenshot: %s", qPrintable(file));
        }

        window.generator().stop();
        window.controller().terminate();
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().state(), poolcore::PoolState::Stopped, 10000);
    }
};

POOLSCOPE_TEST_MAIN(ScreenshotTest, QApplication, no_test_setup)
#include "test_gui_screenshot.moc"
