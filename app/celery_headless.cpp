// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/celery_headless.h"

#include "celery/celery_client.h"
#include "poolcore/observer.h"
#include "poolcore/poll_loop.h"

#include <charconv>
#include <iomanip>
#include <nlohmann/json.hpp>

namespace poolscope {

using nlohmann::json;
namespace cel = poolscope::celery;

namespace {

int to_count(const std::string& method, const std::string& text) {
    int n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > 1000)
        throw std::invalid_argument(method + " takes a count from 1 to 1000, got '" + text + "'");
    return n;
}

json worker_report(const cel::WorkerNode& w, cel::Clock::time_point now) {
    json j = {{"hostname", w.hostname}, {"online", w.online},      {"pid", w.pid},
              {"sw_ident", w.sw_ident}, {"sw_ver", w.sw_ver},      {"sw_sys", w.sw_sys},
              {"freq", w.freq},         {"processed", w.processed}};
    if (!w.online)
        j["offline_reason"] = w.offline_reason;
    if (w.last_heartbeat != cel::Clock::time_point{})
        j["last_heartbeat_age_s"] = std::chrono::duration<double>(now - w.last_heartbeat).count();
    if (w.loadavg)
        j["loadavg"] = *w.loadavg;
    if (w.have_stats) {
        json pool = {{"max-concurrency", w.max_concurrency},
                     {"processes", w.processes},
                     {"max-tasks-per-child", w.max_tasks_per_child},
                     {"put-guarded-by-semaphore", w.put_guarded_by_semaphore},
                     {"timeouts", {w.timeouts.first, w.timeouts.second}},
                     {"writes",
                      {{"total", w.writes.total},
                       {"avg", w.writes.avg},
                       {"all", w.writes.all},
                       {"raw", w.writes.raw},
                       {"strategy", w.writes.strategy}}},
                     {"max-concurrency-lags", w.concurrency_lags()}};
        if (w.autoscaler)
            pool["autoscaler"] = {{"min", w.autoscaler->min},
                                  {"max", w.autoscaler->max},
                                  {"current", w.autoscaler->current},
                                  {"qty", w.autoscaler->qty}};
        j["pool"] = pool;
        j["prefetch_count"] = w.prefetch_count;
        j["uptime_s"] = w.uptime_s;
    }
    if (w.pool_restarts)
        j["worker_pool_restarts"] = *w.pool_restarts;
    if (w.have_active) {
        json active = json::array();
        for (const auto& t : w.active)
            active.push_back(
                {{"id", t.id}, {"name", t.name}, {"args", t.args}, {"worker_pid", t.worker_pid}});
        j["active"] = active;
    }
    return j;
}

} // namespace

std::pair<std::string, json> parse_celery_control(const std::string& spec) {
    const auto eq = spec.find('=');
    const std::string method = spec.substr(0, eq);
    const std::string arg = eq == std::string::npos ? std::string() : spec.substr(eq + 1);
    if (method.empty())
        throw std::invalid_argument("--control needs a command name");
    if (method == "pool_grow" || method == "pool_shrink")
        return {method, {{"n", arg.empty() ? 1 : to_count(method, arg)}}};
    if (method == "autoscale") {
        const auto comma = arg.find(',');
        if (comma == std::string::npos)
            throw std::invalid_argument("autoscale takes MAX,MIN, got '" + arg + "'");
        return {method,
                {{"max", to_count(method, arg.substr(0, comma))},
                 {"min", to_count(method, arg.substr(comma + 1))}}};
    }
    if (method == "revoke" || method == "terminate") {
        const auto comma = arg.find(',');
        const std::string id = arg.substr(0, comma);
        if (id.empty())
            throw std::invalid_argument(method + " needs a task id");
        std::string signal = comma == std::string::npos ? "SIGTERM" : arg.substr(comma + 1);
        const int number = poolcore::parse_signal(signal);
        if (number == 0)
            throw std::invalid_argument("'" + signal + "' names no signal");
        signal = std::string(poolcore::signal_name(number));
        if (method == "terminate")
            return {"revoke", {{"task_id", id}, {"terminate", true}, {"signal", signal}}};
        return {"revoke", {{"task_id", id}, {"terminate", false}}};
    }
    if (arg.empty())
        return {method, json::object()};
    json args = json::parse(arg, nullptr, false);
    if (args.is_discarded() || !args.is_object())
        throw std::invalid_argument(method + "'s arguments must be a JSON object, got '" + arg +
                                    "'");
    return {method, args};
}

int run_celery_headless(const CeleryOptions& o, double timeout_s, bool as_json, std::ostream& out,
                        std::ostream& err) {
    cel::ClientSettings settings;
    if (const std::string problem = cel::parse_broker_url(o.url, settings.transport);
        !problem.empty()) {
        err << "poolscope: --celery " << o.url << ": " << problem << "\n";
        return 2;
    }
    settings.transport.global_keyprefix = o.global_keyprefix;
    settings.poll = o.watch_s > 0;
    std::vector<std::pair<std::string, json>> controls;
    try {
        for (const auto& spec : o.controls)
            controls.push_back(parse_celery_control(spec));
    } catch (const std::exception& e) {
        err << "poolscope: --control: " << e.what() << "\n";
        return 2;
    }

    poolcore::PollLoop loop;
    cel::CeleryClient client(loop, settings);
    client.start();
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(timeout_s));
    const auto left = [&] { return deadline - std::chrono::steady_clock::now(); };
    // The first stats round (resync) is the first full picture.
    if (!loop.run_until([&] { return client.synced(); }, left())) {
        err << "poolscope: " << client.status_detail() << "\n";
        for (const auto& n : client.state().take_notes())
            err << "poolscope: " << n.text << "\n";
        return 1;
    }
    // active and conf went out with stats; their collection windows end together.
    loop.run_until([] { return false; }, std::min<std::chrono::steady_clock::duration>(
                                             settings.reply_timeout / 3, left()));

    json report_controls = json::array();
    for (const auto& [method, args] : controls) {
        bool done = false;
        cel::ControlResult result;
        client.control(method, args, o.destination, [&](const cel::ControlResult& r) {
            result = r;
            done = true;
        });
        loop.run_until([&] { return done; }, left());
        json replies = json::object();
        for (const auto& [node, reply] : result.replies)
            replies[node] = reply;
        report_controls.push_back({{"method", method},
                                   {"arguments", args},
                                   {"expected", result.expected},
                                   {"replies", replies}});
        if (!result.error.empty())
            report_controls.back()["error"] = result.error;
    }
    if (o.watch_s > 0)
        loop.run_until([] { return false; },
                       std::min<std::chrono::steady_clock::duration>(
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(o.watch_s)),
                           left()));

    const auto now = cel::Clock::now();
    const cel::ClusterState& state = client.state();
    json workers = json::array();
    for (const auto& [name, w] : state.workers())
        workers.push_back(worker_report(w, now));
    json outcomes = json::object();
    for (int i = 0; i < poolcore::kOutcomeCount; ++i)
        outcomes[std::string(poolcore::to_string(poolcore::Outcome(i)))] =
            state.count(poolcore::Outcome(i));
    json report = {{"broker", settings.transport.url()},
                   {"workers", workers},
                   {"online_workers", state.online_workers()},
                   {"queue_depth", state.queue_depth()},
                   {"events", state.events_seen()},
                   {"tasks_received", state.received()},
                   {"tasks_retried", state.retried()},
                   {"outcomes", outcomes},
                   {"bad_messages", state.bad_messages()},
                   {"controls", report_controls}};
    bool stopped = false;
    client.stop([&] { stopped = true; });
    loop.run_until([&] { return stopped; }, std::chrono::seconds(2));
    for (const auto& n : client.state().take_notes())
        if (n.severity != poolcore::Severity::Info || !as_json)
            err << "poolscope: " << n.text << "\n";

    if (as_json) {
        out << report.dump(2) << "\n";
    } else {
        out << "Celery cluster on " << settings.transport.url() << ": " << state.online_workers()
            << " worker(s) online, queue depth " << state.queue_depth() << "\n";
        for (const auto& w : workers) {
            out << "  " << w["hostname"].get<std::string>()
                << (w["online"].get<bool>() ? " online" : " OFFLINE") << " pid " << w["pid"];
            if (w.contains("pool"))
                out << ", " << w["pool"]["processes"].size() << " pool processes "
                    << w["pool"]["processes"].dump();
            if (w.contains("active"))
                out << ", " << w["active"].size() << " active";
            out << "\n";
        }
        for (const auto& c : report_controls) {
            out << c["method"].get<std::string>() << ":";
            if (c.contains("error"))
                out << " " << c["error"].get<std::string>();
            if (c["replies"].empty())
                out << " no reply";
            for (const auto& [node, reply] : c["replies"].items())
                out << "\n  " << node << ": " << reply.dump();
            out << "\n";
        }
    }
    return out.good() ? 0 : 1;
}

} // namespace poolscope
