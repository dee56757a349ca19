// SPDX-License-Identifier: GPL-3.0-or-later
#include "celery/transport.h"

#include <charconv>

namespace poolscope::celery {

std::string TransportOptions::key(std::string_view name) const {
    return global_keyprefix + std::string(name);
}

std::string TransportOptions::fanout_channel(std::string_view exchange) const {
    std::string prefix = fanout_prefix;
    if (const auto at = prefix.find("{db}"); at != std::string::npos)
        prefix.replace(at, 4, std::to_string(db));
    return global_keyprefix + prefix + std::string(exchange);
}

std::string TransportOptions::event_pattern() const {
    // celeryev is forced to fanout on Redis; with fanout_patterns the routing key follows a '/'.
    return fanout_channel("celeryev") + (fanout_patterns ? "/*" : "");
}

std::string TransportOptions::pidbox_channel() const {
    return fanout_channel("celery.pidbox");
}

std::string TransportOptions::reply_queue(std::string_view oid) const {
    return key(std::string(oid) + ".reply.celery.pidbox");
}

std::string TransportOptions::reply_binding_key() const {
    return key("_kombu.binding.reply.celery.pidbox");
}

std::string TransportOptions::reply_binding_member(std::string_view oid) const {
    // routing key, pattern (empty), queue: the worker matches the routing key (our oid) and
    // LPUSHes to the queue named here, so the queue name is the unprefixed one kombu would use.
    return std::string(oid) + std::string(kSep) + std::string(kSep) + std::string(oid) +
           ".reply.celery.pidbox";
}

std::vector<std::string> TransportOptions::priority_lists(std::string_view q) const {
    std::vector<std::string> lists{key(q)};
    for (const char* step : {"3", "6", "9"})
        lists.push_back(key(std::string(q) + std::string(kSep) + step));
    return lists;
}

std::optional<std::string> TransportOptions::event_routing_key(std::string_view channel) const {
    const std::string base = fanout_channel("celeryev");
    if (channel.substr(0, base.size()) != base)
        return std::nullopt;
    channel.remove_prefix(base.size());
    if (channel.empty())
        return std::string();
    if (channel.front() != '/')
        return std::nullopt;
    return std::string(channel.substr(1));
}

std::string TransportOptions::url() const {
    return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

std::string parse_broker_url(std::string_view url, TransportOptions& options) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return "a broker URL looks like redis://HOST:PORT/DB";
    const std::string_view scheme = url.substr(0, scheme_end);
    if (scheme != "redis")
        return "only redis:// brokers are supported, not " + std::string(scheme) + "://";
    std::string_view rest = url.substr(scheme_end + 3);
    if (const auto at = rest.rfind('@'); at != std::string_view::npos)
        return "a broker URL with a password is not supported yet (no AUTH)";
    std::string_view hostport = rest.substr(0, rest.find('/'));
    std::string_view path = rest.find('/') == std::string_view::npos
                                ? std::string_view{}
                                : rest.substr(rest.find('/') + 1);
    if (hostport.empty())
        return "the broker URL names no host";
    const auto colon = hostport.rfind(':');
    std::string host(hostport.substr(0, colon));
    int port = 6379;
    if (colon != std::string_view::npos) {
        const std::string_view p = hostport.substr(colon + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec != std::errc{} || end != p.data() + p.size() || port < 1 || port > 65535)
            return "the broker URL's port \"" + std::string(p) + "\" is not a port number";
    }
    int db = 0;
    if (!path.empty()) {
        const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
        if (ec != std::errc{} || end != path.data() + path.size() || db < 0 || db > 1000000)
            return "the broker URL's database \"" + std::string(path) + "\" is not a number";
    }
    if (host.empty())
        return "the broker URL names no host";
    options.host = host;
    options.port = port;
    options.db = db;
    return {};
}

} // namespace poolscope::celery
