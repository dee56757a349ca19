// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness for everything Poolscope reads off a Celery broker: kombu envelopes, event
// bodies (objects and task.multi lists), control replies, and the cluster state they feed. The
// first byte picks where the rest arrives, as CeleryClient would hand it on; any input must end
// in a result or a counted bad message, never a crash, a hang or an exception escaping.
#include "celery/cluster_state.h"
#include "celery/messages.h"
#include "celery/transport.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace poolscope::celery;

namespace {

void as_event_message(ClusterState& state, std::string_view text) {
    try {
        const Envelope envelope = parse_envelope(text);
        const EventBatch batch = decode_events(envelope);
        const auto now = Clock::now();
        for (const Event& e : batch.events)
            state.apply(e, now, 1.7e9);
        for (const auto& error : batch.errors)
            state.bad_message("celeryev", error);
    } catch (const MessageError& e) {
        state.bad_message("celeryev", e.what());
    }
}

void as_reply(ClusterState& state, std::string_view text) {
    try {
        const ControlReply reply = parse_control_reply(parse_envelope(text));
        for (const char* method : {"stats", "active", "conf", "registered", "ping"})
            for (const auto& [node, value] : reply.by_node)
                state.apply_inspect(method, node, value, Clock::now());
    } catch (const MessageError& e) {
        state.bad_message("reply", e.what());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    ClusterState state;
    switch (data[0] % 4) {
    case 0:
        as_event_message(state, text);
        break;
    case 1:
        as_reply(state, text);
        break;
    case 2: {
        // A bare inspect reply body, as if it had come wrapped.
        const auto j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_discarded())
            for (const char* method : {"stats", "active", "conf", "registered"})
                state.apply_inspect(method, "w@fuzz", j, Clock::now());
        break;
    }
    case 3: {
        TransportOptions options;
        (void)parse_broker_url(text, options);
        (void)options.event_routing_key(text);
        try {
            (void)base64_decode(text);
        } catch (const MessageError&) {
        }
        break;
    }
    }
    (void)state.snapshot(Clock::now());
    (void)state.info();
    (void)state.expire(Clock::now() + std::chrono::hours(1));
    (void)state.take_job_records();
    return 0;
}
