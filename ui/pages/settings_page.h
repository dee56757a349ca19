// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/options.h"

#include <QVariantMap>
#include <QWidget>
#include <map>
#include <string>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSettings;
class QSpinBox;

namespace poolscope {

// The pool settings applied at Start. Every change is checked with PoolOptions::problems() and
// each problem is shown under the field it concerns.
class SettingsPage final : public QWidget {
    Q_OBJECT
public:
    explicit SettingsPage(QWidget* parent = nullptr);

    // The settings as entered; fields the page does not show keep the values of setOptions().
    poolcore::PoolOptions options() const;
    void setOptions(const poolcore::PoolOptions& options);
    bool isValid() const { return valid_; }
    // The message shown for `field` ("processes", "time_limit", ...), empty if none.
    QString problemFor(const std::string& field) const;

    // Marks the fields that differ from the running pool's settings as "applies at next Start".
    void setRunningOptions(const poolcore::PoolOptions* running);
    // The running pool grew or shrank to `processes`: the field follows, so that the next Start
    // starts as many as run now, and the "differs from the running pool" hint stays true.
    void followProcessCount(int processes);

    // What save() writes, key by key (the `pool` group of the settings file).
    QVariantMap values() const;
    static void save(QSettings& settings, const QVariantMap& values);
    void save(QSettings& settings) const { save(settings, values()); }
    void restore(QSettings& settings);

Q_SIGNALS:
    void validityChanged(bool valid);
    void changed();

private:
    void revalidate();
    QWidget* withMessage(QWidget* field, const std::string& key);
    void updateRunningHint();

    poolcore::PoolOptions base_;
    const poolcore::PoolOptions* running_ = nullptr;
    poolcore::PoolOptions followed_; // the running options, with a grown or shrunk count
    QSpinBox* processes_;
    QComboBox* pool_type_;
    QComboBox* start_method_;
    QComboBox* strategy_;
    QSpinBox* prefetch_;
    QDoubleSpinBox* soft_limit_;
    QDoubleSpinBox* hard_limit_;
    QSpinBox* max_tasks_;
    QSpinBox* max_memory_mib_;
    QDoubleSpinBox* alive_timeout_;
    QSpinBox* max_restarts_;
    QDoubleSpinBox* restart_window_;
    std::map<std::string, QLabel*> messages_;
    QLabel* other_problems_;
    QLabel* running_hint_;
    bool valid_ = true;
    bool loading_ = false;
};

} // namespace poolscope
