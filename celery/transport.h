// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poolscope::celery {

// Where the broker is and how kombu's Redis transport names things on it. The defaults are what
// Celery uses out of the box; a deployment that sets broker_transport_options changes them, so
// every name below is derived from these settings and never written out elsewhere.
struct TransportOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;                   // the URL's /DB: SELECT for keys, and part of every channel name
    std::string global_keyprefix; // kombu's global_keyprefix: prefixes keys and channels alike
    std::string fanout_prefix = "/{db}."; // kombu's fanout_prefix=True; "" when False
    bool fanout_patterns = true;          // the routing key appended to celeryev's channel
    std::string queue = "celery";         // the task queue whose depth is shown

    // The separator kombu puts between a binding's parts and a queue and its priority step.
    static constexpr std::string_view kSep = "\x06\x16";

    std::string key(std::string_view name) const; // a key name with global_keyprefix
    // The channel a fanout exchange publishes on ("/0.celery.pidbox").
    std::string fanout_channel(std::string_view exchange) const;
    std::string event_pattern() const;  // PSUBSCRIBE pattern for every event ("/0.celeryev/*")
    std::string pidbox_channel() const; // where control requests are published
    std::string reply_queue(std::string_view oid) const; // "<oid>.reply.celery.pidbox"
    std::string reply_binding_key() const;               // "_kombu.binding.reply.celery.pidbox"
    std::string reply_binding_member(std::string_view oid) const;
    // The lists that hold `queue` and its priority steps 3, 6 and 9, as kombu names them.
    std::vector<std::string> priority_lists(std::string_view queue) const;
    // The routing key in an event channel name, or nullopt when the channel is not celeryev's.
    std::optional<std::string> event_routing_key(std::string_view channel) const;

    // "redis://127.0.0.1:6379/0" (also without port or db).
    std::string url() const;
};

// Parses "redis://HOST[:PORT][/DB]" into `options` (other fields kept). Returns an empty string on
// success, otherwise the reason ("only redis:// brokers are supported, not amqp://").
std::string parse_broker_url(std::string_view url, TransportOptions& options);

} // namespace poolscope::celery
