// SPDX-License-Identifier: GPL-3.0-or-later
// The chart widgets themselves, offscreen: every chart takes samples while workers come and go,
// at widths from a narrow dock to a wide window, and its legend always fits.

#include "gui_test_util.h"
#include "ui/charts/job_charts.h"
#include "ui/charts/live_charts.h"
#include "ui/monitor/sample.h"

#include <QImage>
#include <QLabel>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <memory>
#include <qcustomplot.h>
#include <vector>

using namespace poolscope;

namespace {

Sample sampleWithWorkers(double time, int workers) {
    Sample s;
    s.time = time;
    s.state = poolcore::PoolState::Run;
    s.target = workers;
    s.alive = workers;
    s.busy = workers / 2;
    s.outcome_per_s[std::size_t(poolcore::Outcome::Success)] = 100 * time;
    for (int slot = 0; slot < workers; ++slot)
        s.workers.push_back(
            {slot, pid_t(1000 + slot), 10.0 + slot, std::uint64_t(time * 10) + unsigned(slot)});
    return s;
}

std::vector<std::unique_ptr<ChartView>> allCharts() {
    std::vector<std::unique_ptr<ChartView>> charts;
    charts.push_back(std::make_unique<ProcessCountChart>());
    charts.push_back(std::make_unique<ThroughputChart>());
    charts.push_back(std::make_unique<LatencyChart>());
    charts.push_back(std::make_unique<QueueDepthChart>());
    charts.push_back(std::make_unique<MemoryChart>());
    charts.push_back(std::make_unique<WriteStatsChart>());
    return charts;
}

} // namespace

class ChartWidgetsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void legendFitsWhileWorkersComeAndGo_data() {
        QTest::addColumn<int>("width");
        QTest::newRow("narrow dock") << 260;
        QTest::newRow("medium") << 420;
        QTest::newRow("wide") << 1200;
    }

    void legendFitsWhileWorkersComeAndGo() {
        QFETCH(int, width);
        for (auto& chart : allCharts()) {
            chart->resize(width, 300);
            chart->show();
            QVERIFY(QTest::qWaitForWindowExposed(chart.get()));
            double t = 0;
            for (int workers : {2, 3, 5, 1, 4, 7, 2}) {
                for (int i = 0; i < 5; ++i)
                    chart->addSample(sampleWithWorkers(t += 0.05, workers));
                chart->replotNow();
                QCPLegend* legend = chart->plot()->legend;
                for (int i = 0; i < legend->itemCount(); ++i) {
                    QCPAbstractLegendItem* item = legend->item(i);
                    if (!item)
                        continue;
                    const QRect r = item->outerRect();
                    QVERIFY2(r.right() <= chart->plot()->width(),
                             qPrintable(QStringLiteral("%1: legend item %2 ends at %3 of %4")
                                            .arg(chart->title())
                                            .arg(i)
                                            .arg(r.right())
                                            .arg(chart->plot()->width())));
                }
            }
            QVERIFY(chart->replotCount() > 0);
        }
    }

    void writeBarsNamePidsOnlyWhereTheyFit() {
        WriteStatsChart chart;
        chart.resize(1400, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.addSample(sampleWithWorkers(0.1, 8));
        auto labels = chart.barLabels();
        QCOMPARE(labels.size(), 8);
        for (const QString& label : labels)
            QVERIFY2(label.contains(QLatin1Char('\n')), qPrintable(label)); // slot, then pid
        chart.resize(320, 400); // eight pids cannot sit side by side here
        QCoreApplication::processEvents();
        labels = chart.barLabels();
        QCOMPARE(labels.size(), 8);
        for (int i = 0; i < 8; ++i)
            QCOMPARE(labels[i], QString::number(i));
        chart.resize(1400, 400);
        QCoreApplication::processEvents();
        QVERIFY(chart.barLabels().first().contains(QLatin1Char('\n')));
    }

    void memoryLinesBreakWhereNoWorkerWas() {
        // Terminate, nobody there for a while, Start: no line joins the two across the gap.
        MemoryChart chart;
        chart.resize(500, 300);
        double t = 0;
        for (int i = 0; i < 10; ++i)
            chart.addSample(sampleWithWorkers(t += 0.05, 2));
        for (int i = 0; i < 30; ++i)
            chart.addSample(sampleWithWorkers(t += 1.0, 0));
        for (int i = 0; i < 10; ++i)
            chart.addSample(sampleWithWorkers(t += 0.05, 2));
        QCOMPARE(chart.plot()->graphCount(), 2);
        const auto data = chart.plot()->graph(0)->data();
        int gaps = 0;
        for (auto it = data->constBegin(); it != data->constEnd(); ++it)
            gaps += std::isnan(it->value);
        QCOMPARE(gaps, 30);
        QVERIFY(!std::isnan(data->at(data->size() - 1)->value));
        // The hover text says so too, and the axis ignores the gaps.
        QVERIFY(chart.valuesAt(5.0).contains(QLatin1String("no data")));
        chart.replotNow();
        QVERIFY(chart.plot()->yAxis->range().upper > 10);
    }

    // A source that cannot feed a chart: the reason is written across the plot, inside it, and
    // goes away when a source that can is back.
    void aChartSaysWhyItHasNothingToShow() {
        MemoryChart chart;
        chart.resize(420, 260);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        auto* note = chart.findChild<QLabel*>(QStringLiteral("unavailableReason"));
        QVERIFY(note);
        QVERIFY(!note->isVisible());
        chart.setUnavailableReason(QStringLiteral("this source reports no memory"));
        for (int i = 0; i < 40; ++i)
            chart.addSample(sampleWithWorkers(i * 0.05, 0));
        QTest::qWait(50); // the layout of the shown chart
        chart.replotNow();
        QCOMPARE(chart.unavailableReason(), QStringLiteral("this source reports no memory"));
        QVERIFY(note->isVisible());
        QVERIFY(note->text().contains(QLatin1String("this source reports no memory")));
        const QRect plot_area = chart.plot()->axisRect()->rect();
        QVERIFY2(plot_area.contains(note->geometry()), qPrintable(QStringLiteral("%1,%2 %3x%4")
                                                                      .arg(note->x())
                                                                      .arg(note->y())
                                                                      .arg(note->width())
                                                                      .arg(note->height())));
        QVERIFY(note->heightForWidth(note->width()) <= note->height());
        const QString out = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR");
        if (!out.isEmpty())
            chart.grab().save(out + QStringLiteral("/chart-unavailable.png"));
        chart.setUnavailableReason({});
        QVERIFY(!note->isVisible());
        QVERIFY(chart.unavailableReason().isEmpty());
    }

    void legendNamesTheTopWorkersOnly() {
        MemoryChart chart;
        chart.resize(600, 400);
        chart.addSample(sampleWithWorkers(0.05, 32));
        QCOMPARE(chart.plot()->legend->itemCount(), int(MemoryChart::kLegendEntries));
        // The eight using the most memory (rss grows with the slot in sampleWithWorkers).
        QCOMPARE(chart.slotsInLegend().front(), 24);
        QCOMPARE(chart.slotsInLegend().back(), 31);
        QVERIFY(chart.plot()->yAxis->label().contains(QLatin1String("top 8")));
    }

    void valueLabelsDoNotOverlap() {
        // In every chart, however short: the value labels are at least a text line apart.
        for (int height : {150, 220, 400}) {
            for (auto& chart : allCharts()) {
                chart->resize(320, height);
                chart->show();
                QVERIFY(QTest::qWaitForWindowExposed(chart.get()));
                double t = 0;
                for (int i = 0; i < 40; ++i)
                    chart->addSample(sampleWithWorkers(t += 0.05, 8));
                chart->replotNow();
                for (QCPAxisRect* rect : chart->plot()->axisRects()) {
                    QCPAxis* axis = rect->axis(QCPAxis::atLeft);
                    if (height >= 400)
                        QVERIFY2(axis->tickLabels(), qPrintable(chart->title()));
                    if (!axis->tickLabels())
                        continue; // too short to label at all, so nothing overlaps
                    const QVector<double> ticks = axis->tickVector();
                    const int line = QFontMetrics(axis->tickLabelFont()).height();
                    for (int i = 1; i < ticks.size(); ++i) {
                        const double gap = std::abs(axis->coordToPixel(ticks[i]) -
                                                    axis->coordToPixel(ticks[i - 1]));
                        QVERIFY2(gap >= line, qPrintable(QStringLiteral("%1 at height %2: %3 px")
                                                             .arg(chart->title())
                                                             .arg(height)
                                                             .arg(gap)));
                    }
                }
            }
        }
    }

    // Large counts read as numbers with thousands separators in every chart's value axes, not
    // "60000" or "6·10^4"; fractions keep their decimals.
    void valueTicksGroupThousands() {
        for (auto& chart : allCharts()) {
            chart->resize(400, 300);
            chart->show();
            QVERIFY(QTest::qWaitForWindowExposed(chart.get()));
            for (QCPAxisRect* rect : chart->plot()->axisRects()) {
                QCPAxis* axis = rect->axis(QCPAxis::atLeft);
                if (axis->scaleType() != QCPAxis::stLinear)
                    continue;
                axis->setRange(0, 70000);
                chart->plot()->replot();
                const QVector<double> ticks = axis->tickVector();
                const QVector<QString> labels = axis->tickVectorLabels();
                QCOMPARE(ticks.size(), labels.size());
                for (int i = 0; i < ticks.size(); ++i) {
                    if (ticks[i] < 1000)
                        continue;
                    // "60,000": grouped, and nothing but digits once the separators go.
                    QString digits = labels[i];
                    digits.remove(QLatin1Char(','));
                    QVERIFY2(labels[i].contains(QLatin1Char(',')) &&
                                 digits == QString::number(qlonglong(ticks[i])),
                             qPrintable(chart->title() + QStringLiteral(": ") + labels[i]));
                }
                axis->setRange(0, 0.5);
                chart->plot()->replot();
                for (const QString& label : axis->tickVectorLabels())
                    QVERIFY2(!label.contains(QLatin1Char(',')), qPrintable(label));
            }
        }
    }

    void savesAsPngAndPdf() {
        ThroughputChart chart;
        chart.resize(500, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        for (int i = 0; i < 20; ++i)
            chart.addSample(sampleWithWorkers(i * 0.1, 2));
        QTemporaryDir dir;
        QString error;
        const QString png = dir.filePath(QStringLiteral("throughput.png"));
        QVERIFY2(chart.saveImage(png, &error), qPrintable(error));
        QImage image(png);
        QVERIFY(!image.isNull());
        // By default 1200×675 at 192 dpi: twice the pixels, for print.
        QCOMPARE(image.width(), 2400);
        QCOMPARE(image.height(), 1350);
        // At a chosen size and resolution, with a title line.
        ChartExport how;
        how.width = 800;
        how.height = 450;
        how.dpi = 96;
        how.caption = QStringLiteral("Wed 2 Dec 2026 06:00:00 – 06:01:00 · 4 processes");
        const QString sized = dir.filePath(QStringLiteral("sized.png"));
        QVERIFY2(chart.saveImage(sized, &error, how), qPrintable(error));
        const QImage small(sized);
        QCOMPARE(small.size(), QSize(800, 450));
        QVERIFY(qAbs(small.dotsPerMeterX() - 3780) <= 1);
        how.dpi = 300;
        QVERIFY2(chart.saveImage(sized, &error, how), qPrintable(error));
        QCOMPARE(QImage(sized).width(), 2500); // 800 × 300 / 96
        QVERIFY(qAbs(QImage(sized).dotsPerMeterX() - 11811) <= 1);
        how.width = 10; // impossible: a message, nothing written
        QVERIFY(!chart.saveImage(dir.filePath(QStringLiteral("tiny.png")), &error, how));
        QVERIFY(!error.isEmpty());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("tiny.png"))));
        const QString pdf = dir.filePath(QStringLiteral("throughput.pdf"));
        QVERIFY2(chart.saveImage(pdf, &error), qPrintable(error));
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.read(5), QByteArray("%PDF-"));
        // An unknown format or an unwritable place is a message, not a crash.
        QVERIFY(!chart.saveImage(dir.filePath(QStringLiteral("chart.xyz")), &error));
        QVERIFY(!error.isEmpty());
        error.clear();
        QVERIFY(!chart.saveImage(QStringLiteral("/nonexistent/dir/chart.png"), &error));
        QVERIFY(!error.isEmpty());
        // A disk that fills up half-way leaves the earlier image whole.
        error.clear();
        {
            test::FileSizeLimit limit(64);
            QVERIFY(!chart.saveImage(png, &error));
        }
        QVERIFY2(error.startsWith(QStringLiteral("Cannot write ")), qPrintable(error));
        QCOMPARE(QImage(png).width(), 2400);
    }
};

QTEST_MAIN(ChartWidgetsTest)
#include "test_chart_widgets.moc"
