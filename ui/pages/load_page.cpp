// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/load_page.h"

#include "poolcore/task_registry.h"
#include "ui/sources/pool_controller.h"
#include "ui/theme.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>
#include <algorithm>
#include <limits>

namespace poolscope {

LoadPage::LoadPage(PoolController& controller, LoadGenerator& generator, QWidget* parent)
    : QWidget(parent), controller_(controller), generator_(generator) {
    setObjectName(QStringLiteral("loadPage"));

    task_ = new QComboBox;
    task_->setObjectName(QStringLiteral("task"));
    task_->setAccessibleName(tr("Task"));
    auto tasks = poolcore::TaskRegistry::global().list();
    std::sort(tasks.begin(), tasks.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& t : tasks) {
        const QString name = QString::fromStdString(t.name);
        const QString hint = QString::fromStdString(t.argument_hint);
        task_->addItem(hint.isEmpty() ? name : name + QLatin1Char('=') + hint, name);
        task_->setItemData(task_->count() - 1, QString::fromStdString(t.summary), Qt::ToolTipRole);
        task_->setItemData(task_->count() - 1, hint, Qt::UserRole + 1);
    }

    task_->setCurrentIndex(std::max(0, task_->findData(QStringLiteral("noop"))));

    argument_ = new QLineEdit;
    argument_->setObjectName(QStringLiteral("argument"));
    argument_->setAccessibleName(tr("Task argument"));

    mix_ = new QLineEdit;
    mix_->setObjectName(QStringLiteral("taskMix"));
    mix_->setAccessibleName(tr("Mix with tasks"));
    mix_->setPlaceholderText(tr("e.g. sleep=10; fail=boom"));
    mix_->setClearButtonEnabled(true);
    mix_->setToolTip(
        tr("A mixed load: further tasks as name=argument, separated by semicolons. Jobs take "
           "the task above and these in turn (round-robin), as repeated --task options do "
           "headless."));

    payload_ = new QSpinBox;
    payload_->setObjectName(QStringLiteral("payload"));
    payload_->setAccessibleName(tr("Payload size"));
    payload_->setRange(0, 64 << 20);
    payload_->setSuffix(tr(" bytes"));
    payload_->setSingleStep(1024);
    payload_->setGroupSeparatorShown(true);
    payload_->setToolTip(tr("Bytes sent with every job (the echo task returns them)."));

    burst_mode_ = new QRadioButton(tr("&Burst of"));
    burst_mode_->setObjectName(QStringLiteral("burstMode"));
    rate_mode_ = new QRadioButton(tr("Steady &rate of"));
    rate_mode_->setObjectName(QStringLiteral("rateMode"));
    auto* modes = new QButtonGroup(this);
    modes->addButton(burst_mode_);
    modes->addButton(rate_mode_);
    burst_mode_->setChecked(true);

    burst_jobs_ = new QSpinBox;
    burst_jobs_->setObjectName(QStringLiteral("burstJobs"));
    burst_jobs_->setAccessibleName(tr("Jobs in the burst"));
    burst_jobs_->setRange(1, 1'000'000'000);
    burst_jobs_->setValue(10000);
    burst_jobs_->setSuffix(tr(" jobs"));
    burst_jobs_->setGroupSeparatorShown(true);
    rate_ = new QDoubleSpinBox;
    rate_->setObjectName(QStringLiteral("rate"));
    rate_->setAccessibleName(tr("Jobs per second"));
    rate_->setRange(0.1, 1e6);
    rate_->setDecimals(1);
    rate_->setValue(200);
    rate_->setSuffix(tr(" jobs/s"));
    rate_->setGroupSeparatorShown(true);

    start_ = new QPushButton(tr("Start &Load"));
    start_->setObjectName(QStringLiteral("startLoad"));
    start_->setAccessibleName(tr("Start load"));
    start_->setToolTip(tr("Starts submitting jobs as set above to the running pool."));
    stop_ = new QPushButton(tr("Stop L&oad"));
    stop_->setObjectName(QStringLiteral("stopLoad"));
    stop_->setAccessibleName(tr("Stop load"));
    stop_->setToolTip(tr("Stops submitting jobs; jobs already submitted still run."));

    progress_ = new QProgressBar;
    progress_->setObjectName(QStringLiteral("loadProgress"));
    progress_->setAccessibleName(tr("Burst progress"));
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("no burst run yet"));
    counts_ = new QLabel;
    counts_->setObjectName(QStringLiteral("loadCounts"));
    counts_->setWordWrap(true);
    message_ = new QLabel;
    message_->setObjectName(QStringLiteral("loadMessage"));
    message_->setWordWrap(true);
    message_->setVisible(false);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("&Task:"), task_);
    form->addRow(tr("Ar&gument:"), argument_);
    form->addRow(tr("&Mix with:"), mix_);
    form->addRow(tr("&Payload:"), payload_);
    form->addRow(burst_mode_, burst_jobs_);
    form->addRow(rate_mode_, rate_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(start_);
    buttons->addWidget(stop_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(progress_);
    layout->addWidget(counts_);
    layout->addWidget(message_);
    layout->addStretch(1);

    connect(task_, &QComboBox::currentIndexChanged, this, &LoadPage::updateTaskHint);
    connect(burst_mode_, &QRadioButton::toggled, this, &LoadPage::updateEnabled);
    connect(rate_, &QDoubleSpinBox::valueChanged, this, [this](double rate) {
        if (generator_.isRunning())
            generator_.setRate(rate);
    });
    connect(start_, &QPushButton::clicked, this, &LoadPage::startLoad);
    connect(stop_, &QPushButton::clicked, this,
            [this] { generator_.stop(tr("Stop Load pressed")); });
    connect(&generator_, &LoadGenerator::runningChanged, this, &LoadPage::updateEnabled);
    connect(&controller_, &PoolController::stateChanged, this, &LoadPage::updateEnabled);
    connect(&generator_, &LoadGenerator::progress, this, [this](long long done, long long total) {
        if (total > 0) {
            // QProgressBar holds ints: the bar scales a burst beyond their range, the text
            // says the real counts.
            constexpr long long kIntMax = std::numeric_limits<int>::max();
            const long long scale = total > kIntMax ? total / kIntMax + 1 : 1;
            done = std::min(done, total);
            progress_->setRange(0, int(total / scale));
            progress_->setValue(int(done / scale));
            progress_->setFormat(
                tr("%1 of %2 jobs").arg(locale().toString(done), locale().toString(total)));
        }
        showCounts();
    });
    connect(&generator_, &LoadGenerator::stopped, this, [this](const QString& reason) {
        message_->setText(tr("Load stopped: %1.").arg(reason));
        message_->setVisible(true);
    });
    updateTaskHint();
    updateEnabled();
    showCounts();
    updateIcons();
}

void LoadPage::updateIcons() {
    start_->setIcon(paletteIcon(Glyph::Play, palette()));
    stop_->setIcon(paletteIcon(Glyph::Stop, palette()));
}

void LoadPage::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateIcons(); // the theme changed: the glyphs take its text colour
}

void LoadPage::updateTaskHint() {
    const QString hint = task_->currentData(Qt::UserRole + 1).toString();
    argument_->setEnabled(!hint.isEmpty());
    argument_->setPlaceholderText(hint.isEmpty() ? tr("(takes no argument)") : hint);
    task_->setToolTip(task_->currentData(Qt::ToolTipRole).toString());
    argument_->setToolTip(hint.isEmpty() ? tr("This task takes no argument.")
                                         : tr("The task's argument: %1").arg(hint));
}

void LoadPage::updateEnabled() {
    const bool running = generator_.isRunning();
    const bool pool_runs = controller_.state() == poolcore::PoolState::Run;
    start_->setEnabled(!running && pool_runs);
    start_->setToolTip(pool_runs ? tr("Starts submitting jobs as set above to the running pool.")
                                 : tr("Start the pool first: load goes to a running pool."));
    stop_->setEnabled(running);
    for (QWidget* w : {static_cast<QWidget*>(task_), static_cast<QWidget*>(payload_),
                       static_cast<QWidget*>(mix_), static_cast<QWidget*>(burst_mode_),
                       static_cast<QWidget*>(rate_mode_)})
        w->setEnabled(!running);
    argument_->setEnabled(!running && !task_->currentData(Qt::UserRole + 1).toString().isEmpty());
    burst_jobs_->setEnabled(!running && burst_mode_->isChecked());
    // The rate may change while a rate load runs; it applies at once.
    rate_->setEnabled(rate_mode_->isChecked() &&
                      (!running || generator_.spec().mode == LoadSpec::Mode::Rate));
    progress_->setVisible(burst_mode_->isChecked());
}

void LoadPage::showCounts() {
    const QLocale locale;
    QString text =
        tr("Submitted %1 · finished %2 · not successful %3")
            .arg(locale.toString(generator_.submitted()), locale.toString(generator_.completed()),
                 locale.toString(generator_.failed()));
    if (generator_.isSettling()) {
        const long long left = generator_.submitted() - generator_.completed();
        text += tr(" · %1 submitted still to end").arg(locale.toString(left));
    }
    if (generator_.spec().mode == LoadSpec::Mode::Rate && generator_.behind() > 0)
        text += tr(" · behind by %1 (the pool could not keep up)")
                    .arg(locale.toString(generator_.behind()));
    counts_->setText(text);
}

LoadSpec LoadPage::spec() const {
    LoadSpec s;
    s.task = task_->currentData().toString().toStdString();
    const bool takes_argument = !task_->currentData(Qt::UserRole + 1).toString().isEmpty();
    s.argument = takes_argument ? argument_->text().trimmed().toStdString() : std::string();
    for (const QString& part : mix_->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
        if (const QString spec = part.trimmed(); !spec.isEmpty())
            s.mix.push_back(spec.toStdString());
    s.payload_bytes = std::size_t(payload_->value());
    s.mode = burst_mode_->isChecked() ? LoadSpec::Mode::Burst : LoadSpec::Mode::Rate;
    s.burst_jobs = burst_jobs_->value();
    s.jobs_per_second = rate_->value();
    return s;
}

void LoadPage::setSpec(const LoadSpec& s) {
    const int index = task_->findData(QString::fromStdString(s.task));
    if (index >= 0)
        task_->setCurrentIndex(index);
    argument_->setText(QString::fromStdString(s.argument));
    QStringList mix;
    for (const std::string& spec : s.mix)
        mix << QString::fromStdString(spec);
    mix_->setText(mix.join(QStringLiteral("; ")));
    payload_->setValue(
        int(std::min<std::size_t>(s.payload_bytes, std::size_t(payload_->maximum()))));
    (s.mode == LoadSpec::Mode::Burst ? burst_mode_ : rate_mode_)->setChecked(true);
    burst_jobs_->setValue(int(std::clamp<long long>(s.burst_jobs, 1, burst_jobs_->maximum())));
    rate_->setValue(s.jobs_per_second);
    updateEnabled();
}

void LoadPage::startLoad() {
    QString error;
    if (!generator_.start(spec(), &error)) {
        message_->setText(tr("Cannot start the load: %1.").arg(error));
        message_->setVisible(true);
        return;
    }
    message_->setVisible(false);
}

void LoadPage::save(QSettings& settings) const {
    const LoadSpec s = spec();
    settings.beginGroup(QStringLiteral("load"));
    settings.setValue(QStringLiteral("task"), QString::fromStdString(s.task));
    settings.setValue(QStringLiteral("argument"), argument_->text());
    settings.setValue(QStringLiteral("mix"), mix_->text());
    settings.setValue(QStringLiteral("payloadBytes"), qulonglong(s.payload_bytes));
    settings.setValue(QStringLiteral("mode"), s.mode == LoadSpec::Mode::Burst
                                                  ? QStringLiteral("burst")
                                                  : QStringLiteral("rate"));
    settings.setValue(QStringLiteral("burstJobs"), s.burst_jobs);
    settings.setValue(QStringLiteral("jobsPerSecond"), s.jobs_per_second);
    settings.endGroup();
}

void LoadPage::restore(QSettings& settings) {
    LoadSpec s = spec();
    settings.beginGroup(QStringLiteral("load"));
    s.task = settings.value(QStringLiteral("task"), QString::fromStdString(s.task))
                 .toString()
                 .toStdString();
    s.argument = settings.value(QStringLiteral("argument")).toString().toStdString();
    s.mix.clear();
    for (const QString& part : settings.value(QStringLiteral("mix"))
                                   .toString()
                                   .split(QLatin1Char(';'), Qt::SkipEmptyParts))
        if (const QString spec = part.trimmed(); !spec.isEmpty())
            s.mix.push_back(spec.toStdString());
    s.payload_bytes = std::size_t(settings.value(QStringLiteral("payloadBytes"), 0).toULongLong());
    s.mode = settings.value(QStringLiteral("mode")).toString() == QLatin1String("rate")
                 ? LoadSpec::Mode::Rate
                 : LoadSpec::Mode::Burst;
    s.burst_jobs = settings.value(QStringLiteral("burstJobs"), s.burst_jobs).toLongLong();
    s.jobs_per_second =
        settings.value(QStringLiteral("jobsPerSecond"), s.jobs_per_second).toDouble();
    settings.endGroup();
    setSpec(s);
}

} // namespace poolscope
