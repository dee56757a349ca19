// SPDX-License-Identifier: GPL-3.0-or-later
// The chart widgets themselves, offscreen: every chart takes samples while workers come and go,
// at widths from a narrow dock to a wide window, and its legend always fits.

#include "gui_test_util.h"
#include "ui/charts/job_charts.h"
#include "ui/charts/live_charts.h"
#include "ui/monitor/sample.h"

#include <QImage>
#include <QTemporaryDir>
#include <QtTest>
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
    s.p50_ms = 1;
    s.p99_ms = 3;
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
        QCOMPARE(image.width(), 1000); // saved at twice the size, for print
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
        QCOMPARE(QImage(png).width(), 1000);
    }
};

QTEST_MAIN(ChartWidgetsTest)
#include "test_chart_widgets.moc"
