// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/settings_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

namespace poolscope {

namespace {

// The longest times the page offers (a limit of about 11.6 days, an alive timeout of 10
// minutes). A spin box clamps what is typed or restored from a saved session to its range, so
// nothing beyond poolcore's (kMaxSeconds, where the clock would overflow) reaches a pool from here.
constexpr double kLongestLimitSeconds = 1e6;
constexpr double kLongestAliveTimeoutSeconds = 600;
constexpr double kLongestRestartWindowSeconds = 86'400;
static_assert(kLongestLimitSeconds <= poolcore::kMaxSeconds &&
              kLongestAliveTimeoutSeconds <= poolcore::kMaxSeconds &&
              kLongestRestartWindowSeconds <= poolcore::kMaxSeconds);

QDoubleSpinBox* secondsBox(double max, const QString& none) {
    auto* box = new QDoubleSpinBox;
    box->setRange(0, max);
    box->setDecimals(2);
    box->setSingleStep(0.5);
    box->setSuffix(QStringLiteral(" s"));
    if (!none.isEmpty())
        box->setSpecialValueText(none);
    box->setAccelerated(true);
    return box;
}

std::optional<poolcore::Seconds> optionalSeconds(const QDoubleSpinBox* box) {
    if (box->value() <= 0)
        return std::nullopt;
    return poolcore::Seconds(box->value());
}

} // namespace

SettingsPage::SettingsPage(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("settingsPage"));
    processes_ = new QSpinBox;
    processes_->setObjectName(QStringLiteral("processes"));
    // Wider than the pool accepts, so that a typed-in value gets the pool's own message.
    processes_->setRange(0, 9999);
    processes_->setSpecialValueText(tr("One per CPU (%1)").arg(poolcore::default_process_count()));
    processes_->setToolTip(tr("Worker processes to start; 0 starts one per CPU."));

    pool_type_ = new QComboBox;
    pool_type_->setObjectName(QStringLiteral("poolType"));
    pool_type_->addItem(tr("Event loop (GUI thread)"), false);
    pool_type_->addItem(tr("Threads (own thread)"), true);
    pool_type_->setToolTip(
        tr("Event loop: the pool runs on this window's event loop through QSocketNotifiers.\n"
           "Threads: the pool runs on a thread of its own with a poll() loop."));

    start_method_ = new QComboBox;
    start_method_->setObjectName(QStringLiteral("startMethod"));
    // What the platform has (spawn only on Windows), without fork: this window's process runs
    // threads (Qt's), and poolcore refuses to fork then.
    for (poolcore::StartMethod method : poolcore::available_start_methods()) {
        if (method == poolcore::StartMethod::Forkserver)
            start_method_->addItem(tr("Forkserver"), int(method));
        else if (method == poolcore::StartMethod::Spawn)
            start_method_->addItem(tr("Spawn"), int(method));
    }
    start_method_->setToolTip(
        tr("How workers start.\n"
           "Forkserver: a small single-threaded process, started before this window, forks "
           "each worker; quick, and workers share its few pages.\n"
           "Spawn: each worker is a fresh start of poolscope-worker (or of this program if "
           "it is missing); shares nothing with this process, at a little more private "
           "memory per worker.\n"
           "Plain fork is not offered: forking a process that runs threads can leave a worker "
           "hung on a lock."));

    strategy_ = new QComboBox;
    strategy_->setObjectName(QStringLiteral("strategy"));
    strategy_->addItem(tr("Fair"), int(poolcore::Strategy::Fair));
    strategy_->addItem(tr("FCFS + prefetch"), int(poolcore::Strategy::Fcfs));
    strategy_->setToolTip(tr("Fair: a job is written only to an idle worker (Celery's -Ofair).\n"
                             "FCFS: jobs are written ahead to any worker with room, up to the "
                             "prefetch count."));

    prefetch_ = new QSpinBox;
    prefetch_->setObjectName(QStringLiteral("prefetch"));
    prefetch_->setRange(0, 9999);
    prefetch_->setToolTip(tr("FCFS only: jobs written ahead to one worker at most."));

    soft_limit_ = secondsBox(kLongestLimitSeconds, tr("None"));
    soft_limit_->setObjectName(QStringLiteral("softTimeLimit"));
    soft_limit_->setToolTip(tr("The task is told to stop (it may clean up) after this long."));
    hard_limit_ = secondsBox(kLongestLimitSeconds, tr("None"));
    hard_limit_->setObjectName(QStringLiteral("timeLimit"));
    hard_limit_->setToolTip(tr("The worker is killed and replaced after this long."));

    max_tasks_ = new QSpinBox;
    max_tasks_->setObjectName(QStringLiteral("maxTasksPerChild"));
    max_tasks_->setRange(0, 1'000'000'000);
    max_tasks_->setSpecialValueText(tr("Unlimited"));
    max_tasks_->setToolTip(tr("A worker is replaced after this many jobs."));

    max_memory_mib_ = new QSpinBox;
    max_memory_mib_->setObjectName(QStringLiteral("maxMemoryPerChild"));
    max_memory_mib_->setRange(0, 1 << 20);
    max_memory_mib_->setSuffix(QStringLiteral(" MiB"));
    max_memory_mib_->setSpecialValueText(tr("Unlimited"));
    max_memory_mib_->setToolTip(
        tr("A worker is replaced after a job leaves it holding more private memory than this."));

    alive_timeout_ = secondsBox(kLongestAliveTimeoutSeconds, QString());
    alive_timeout_->setObjectName(QStringLiteral("aliveTimeout"));
    alive_timeout_->setToolTip(tr("A new worker must report that it is up within this time."));

    // The crash-loop guard: a range from 0 so that a typed 0 gets poolcore's own message.
    max_restarts_ = new QSpinBox;
    max_restarts_->setObjectName(QStringLiteral("maxRestarts"));
    max_restarts_->setRange(0, 1'000'000);
    max_restarts_->setGroupSeparatorShown(true);
    max_restarts_->setToolTip(
        tr("Abnormal worker exits (crashes, kills, time limits) tolerated within the restart "
           "window. Beyond that, replacing workers pauses until the window allows again, so "
           "that a crash loop cannot fork forever."));
    restart_window_ = secondsBox(kLongestRestartWindowSeconds, QString());
    restart_window_->setObjectName(QStringLiteral("restartWindow"));
    restart_window_->setToolTip(tr("The sliding window Max restarts counts abnormal exits in."));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("&Processes:"), withMessage(processes_, "processes"));
    form->addRow(tr("Pool &type:"), withMessage(pool_type_, "threads"));
    form->addRow(tr("Start &method:"), withMessage(start_method_, "start_method"));
    form->addRow(tr("&Strategy:"), withMessage(strategy_, "strategy"));
    form->addRow(tr("Pre&fetch:"), withMessage(prefetch_, "prefetch"));
    form->addRow(tr("S&oft time limit:"), withMessage(soft_limit_, "soft_time_limit"));
    form->addRow(tr("&Hard time limit:"), withMessage(hard_limit_, "time_limit"));
    form->addRow(tr("Max tasks per &child:"), withMessage(max_tasks_, "max_tasks_per_child"));
    form->addRow(tr("Max memor&y per child:"),
                 withMessage(max_memory_mib_, "max_memory_per_child"));
    form->addRow(tr("&Alive timeout:"), withMessage(alive_timeout_, "proc_alive_timeout"));
    form->addRow(tr("Max &restarts:"), withMessage(max_restarts_, "max_restarts"));
    form->addRow(tr("Restart &window:"), withMessage(restart_window_, "restart_window"));
    processes_->setAccessibleName(tr("Processes"));
    pool_type_->setAccessibleName(tr("Pool type"));
    start_method_->setAccessibleName(tr("Start method"));
    strategy_->setAccessibleName(tr("Strategy"));
    prefetch_->setAccessibleName(tr("Prefetch"));
    soft_limit_->setAccessibleName(tr("Soft time limit"));
    hard_limit_->setAccessibleName(tr("Hard time limit"));
    max_tasks_->setAccessibleName(tr("Max tasks per child"));
    max_memory_mib_->setAccessibleName(tr("Max memory per child"));
    alive_timeout_->setAccessibleName(tr("Alive timeout"));
    max_restarts_->setAccessibleName(tr("Max restarts"));
    restart_window_->setAccessibleName(tr("Restart window"));

    other_problems_ = new QLabel;
    other_problems_->setWordWrap(true);
    other_problems_->setVisible(false);
    other_problems_->setStyleSheet(QStringLiteral("color: #d0342c;"));
    running_hint_ = new QLabel;
    running_hint_->setWordWrap(true);
    running_hint_->setVisible(false);
    running_hint_->setObjectName(QStringLiteral("runningHint"));

    auto* defaults = new QPushButton(tr("Restore &Defaults"));
    defaults->setToolTip(tr("Puts every setting back to its default (applied at next Start)."));
    connect(defaults, &QPushButton::clicked, this, [this] {
        poolcore::PoolOptions fresh;
        fresh.forkserver = base_.forkserver;         // the app's server, not a setting
        fresh.worker_program = base_.worker_program; // found beside the app, not a setting
        setOptions(fresh);
    });

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(other_problems_);
    layout->addWidget(running_hint_);
    layout->addWidget(defaults, 0, Qt::AlignLeft);
    layout->addStretch(1);

    const auto on_change = [this] {
        if (loading_)
            return;
        revalidate();
        Q_EMIT changed();
    };
    for (QSpinBox* box : {processes_, prefetch_, max_tasks_, max_memory_mib_, max_restarts_})
        connect(box, &QSpinBox::valueChanged, this, on_change);
    for (QDoubleSpinBox* box : {soft_limit_, hard_limit_, alive_timeout_, restart_window_})
        connect(box, &QDoubleSpinBox::valueChanged, this, on_change);
    for (QComboBox* box : {pool_type_, start_method_, strategy_})
        connect(box, &QComboBox::currentIndexChanged, this, on_change);

    setOptions(poolcore::PoolOptions{});
}

QWidget* SettingsPage::withMessage(QWidget* field, const std::string& key) {
    auto* holder = new QWidget;
    auto* box = new QVBoxLayout(holder);
    box->setContentsMargins(0, 0, 0, 0);
    box->setSpacing(2);
    box->addWidget(field);
    auto* message = new QLabel;
    message->setObjectName(QString::fromStdString(key) + QStringLiteral("Problem"));
    message->setWordWrap(true);
    message->setVisible(false);
    message->setStyleSheet(QStringLiteral("color: #d0342c;"));
    box->addWidget(message);
    messages_[key] = message;
    // Let the form's label act on the field, not on the holder.
    holder->setFocusProxy(field);
    return holder;
}

poolcore::PoolOptions SettingsPage::options() const {
    poolcore::PoolOptions o = base_;
    o.processes = processes_->value();
    o.threads = pool_type_->currentData().toBool();
    o.start_method = poolcore::StartMethod(start_method_->currentData().toInt());
    o.strategy = poolcore::Strategy(strategy_->currentData().toInt());
    o.prefetch = prefetch_->value();
    o.soft_time_limit = optionalSeconds(soft_limit_);
    o.time_limit = optionalSeconds(hard_limit_);
    o.max_tasks_per_child =
        max_tasks_->value() > 0 ? std::optional<int>(max_tasks_->value()) : std::nullopt;
    o.max_memory_per_child_kib =
        max_memory_mib_->value() > 0
            ? std::optional<std::uint64_t>(std::uint64_t(max_memory_mib_->value()) * 1024)
            : std::nullopt;
    o.proc_alive_timeout = poolcore::Seconds(alive_timeout_->value());
    o.max_restarts = max_restarts_->value();
    o.restart_window = poolcore::Seconds(restart_window_->value());
    return o;
}

void SettingsPage::setOptions(const poolcore::PoolOptions& o) {
    loading_ = true;
    base_ = o;
    processes_->setValue(o.processes);
    pool_type_->setCurrentIndex(o.threads ? 1 : 0);
    const int method =
        start_method_->findData(int(o.start_method.value_or(poolcore::StartMethod::Forkserver)));
    start_method_->setCurrentIndex(method >= 0 ? method : 0);
    strategy_->setCurrentIndex(strategy_->findData(int(o.strategy)));
    prefetch_->setValue(o.prefetch);
    soft_limit_->setValue(o.soft_time_limit ? o.soft_time_limit->count() : 0);
    hard_limit_->setValue(o.time_limit ? o.time_limit->count() : 0);
    max_tasks_->setValue(o.max_tasks_per_child.value_or(0));
    max_memory_mib_->setValue(o.max_memory_per_child_kib
                                  ? int(std::ceil(double(*o.max_memory_per_child_kib) / 1024))
                                  : 0);
    alive_timeout_->setValue(o.proc_alive_timeout.count());
    max_restarts_->setValue(o.max_restarts);
    restart_window_->setValue(o.restart_window.count());
    loading_ = false;
    revalidate();
    Q_EMIT changed();
}

QString SettingsPage::problemFor(const std::string& field) const {
    auto it = messages_.find(field);
    return it == messages_.end() ? QString() : it->second->text();
}

void SettingsPage::revalidate() {
    prefetch_->setEnabled(strategy_->currentData().toInt() == int(poolcore::Strategy::Fcfs));
    for (auto& [key, label] : messages_) {
        label->clear();
        label->setVisible(false);
    }
    QStringList others;
    const auto problems = options().problems();
    for (const auto& p : problems) {
        const QString text = QString::fromStdString(p.message);
        auto it = messages_.find(p.field);
        if (it == messages_.end()) {
            others << QString::fromStdString(p.field) + QLatin1Char(' ') + text;
            continue;
        }
        QLabel* label = it->second;
        label->setText(label->text().isEmpty() ? text : label->text() + QLatin1Char('\n') + text);
        label->setVisible(true);
    }
    other_problems_->setText(others.join(QLatin1Char('\n')));
    other_problems_->setVisible(!others.isEmpty());
    updateRunningHint();
    const bool valid = problems.empty();
    if (valid != valid_) {
        valid_ = valid;
        Q_EMIT validityChanged(valid);
    }
}

void SettingsPage::setRunningOptions(const poolcore::PoolOptions* running) {
    running_ = running;
    updateRunningHint();
}

void SettingsPage::followProcessCount(int processes) {
    // Only a change of the running count moves the field: "one per CPU" stays as chosen.
    if (processes <= 0 || processes_->value() == processes ||
        (running_ && running_->effective_processes() == processes))
        return;
    processes_->setValue(processes);
    if (running_) {
        followed_ = *running_;
        followed_.processes = processes;
        running_ = &followed_;
    }
    updateRunningHint();
}

void SettingsPage::updateRunningHint() {
    if (!running_) {
        running_hint_->setVisible(false);
        return;
    }
    const poolcore::PoolOptions o = options();
    const poolcore::PoolOptions& r = *running_;
    const bool differs = o.processes != r.processes || o.threads != r.threads ||
                         o.start_method != r.start_method || o.strategy != r.strategy ||
                         o.prefetch != r.prefetch || o.soft_time_limit != r.soft_time_limit ||
                         o.time_limit != r.time_limit ||
                         o.max_tasks_per_child != r.max_tasks_per_child ||
                         o.max_memory_per_child_kib != r.max_memory_per_child_kib ||
                         o.proc_alive_timeout != r.proc_alive_timeout ||
                         o.max_restarts != r.max_restarts || o.restart_window != r.restart_window;
    running_hint_->setText(
        tr("These settings differ from the running pool's; they apply at the next Start."));
    running_hint_->setVisible(differs);
}

QVariantMap SettingsPage::values() const {
    const poolcore::PoolOptions o = options();
    return {
        {QStringLiteral("processes"), o.processes},
        {QStringLiteral("threads"), o.threads},
        {QStringLiteral("startMethod"),
         QString::fromLatin1(poolcore::to_string(o.effective_start_method()).data())},
        {QStringLiteral("strategy"), QString::fromLatin1(poolcore::to_string(o.strategy).data())},
        {QStringLiteral("prefetch"), o.prefetch},
        {QStringLiteral("softTimeLimit"), soft_limit_->value()},
        {QStringLiteral("timeLimit"), hard_limit_->value()},
        {QStringLiteral("maxTasksPerChild"), max_tasks_->value()},
        {QStringLiteral("maxMemoryPerChildMiB"), max_memory_mib_->value()},
        {QStringLiteral("aliveTimeout"), alive_timeout_->value()},
        {QStringLiteral("maxRestarts"), max_restarts_->value()},
        {QStringLiteral("restartWindow"), restart_window_->value()},
    };
}

void SettingsPage::save(QSettings& s, const QVariantMap& values) {
    s.beginGroup(QStringLiteral("pool"));
    for (auto it = values.begin(); it != values.end(); ++it)
        s.setValue(it.key(), it.value());
    s.endGroup();
}

void SettingsPage::restore(QSettings& s) {
    poolcore::PoolOptions o = base_;
    s.beginGroup(QStringLiteral("pool"));
    o.processes = s.value(QStringLiteral("processes"), o.processes).toInt();
    o.threads = s.value(QStringLiteral("threads"), o.threads).toBool();
    if (auto method = poolcore::parse_start_method(
            s.value(QStringLiteral("startMethod")).toString().toStdString());
        method && *method != poolcore::StartMethod::Fork)
        o.start_method = *method;
    if (auto strategy =
            poolcore::parse_strategy(s.value(QStringLiteral("strategy")).toString().toStdString()))
        o.strategy = *strategy;
    o.prefetch = s.value(QStringLiteral("prefetch"), o.prefetch).toInt();
    auto seconds = [&](const QString& key, std::optional<poolcore::Seconds> fallback) {
        const double v = s.value(key, fallback ? fallback->count() : 0.0).toDouble();
        return v > 0 ? std::optional<poolcore::Seconds>(v) : std::nullopt;
    };
    o.soft_time_limit = seconds(QStringLiteral("softTimeLimit"), o.soft_time_limit);
    o.time_limit = seconds(QStringLiteral("timeLimit"), o.time_limit);
    const int tasks = s.value(QStringLiteral("maxTasksPerChild"), 0).toInt();
    o.max_tasks_per_child = tasks > 0 ? std::optional<int>(tasks) : std::nullopt;
    const int mib = s.value(QStringLiteral("maxMemoryPerChildMiB"), 0).toInt();
    o.max_memory_per_child_kib =
        mib > 0 ? std::optional<std::uint64_t>(std::uint64_t(mib) * 1024) : std::nullopt;
    o.proc_alive_timeout = poolcore::Seconds(
        s.value(QStringLiteral("aliveTimeout"), o.proc_alive_timeout.count()).toDouble());
    o.max_restarts = s.value(QStringLiteral("maxRestarts"), o.max_restarts).toInt();
    o.restart_window = poolcore::Seconds(
        s.value(QStringLiteral("restartWindow"), o.restart_window.count()).toDouble());
    s.endGroup();
    setOptions(o);
}

} // namespace poolscope
