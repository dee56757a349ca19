// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

// What Celery puts on its Redis broker, read and written by the rules kombu's Redis transport
// follows (docs: README "Watching a Celery cluster"). Everything here is pure: no sockets, no
// clock, so that the fuzzer can drive it with any bytes.
namespace poolscope::celery {

// A broker message that cannot be read: the text says what is wrong, for the event log.
class MessageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// kombu's envelope around every message on Redis: a JSON object whose body is (usually base64 of)
// the serialized payload.
struct Envelope {
    std::string body; // decoded from base64 when body_encoding says so
    std::string content_type;
    std::string content_encoding;
    nlohmann::json headers = nlohmann::json::object();
    std::string exchange;
    std::string routing_key;

    bool body_is_json() const { return content_type == "application/json"; }
    // The body parsed as JSON; throws MessageError when it is not JSON, or is in a content type
    // that is never deserialized here (pickle, msgpack, yaml: shown raw, see raw_preview()).
    nlohmann::json json_body() const;
};

// Throws MessageError for anything that is not a kombu envelope.
Envelope parse_envelope(std::string_view text);

std::string base64_encode(std::string_view bytes);
// Throws MessageError on a character outside the alphabet or a bad length.
std::string base64_decode(std::string_view text);
// Up to `limit` bytes with everything unprintable escaped as \xNN, and the full length.
std::string raw_preview(std::string_view bytes, std::size_t limit = 96);

// One Celery event (celery/events/event.py), with the fields Poolscope reads.
struct Event {
    std::string type;     // "worker-heartbeat", "task-succeeded", ...
    std::string hostname; // the worker's node name, "w1@host" (gen<pid>@host for task-sent)
    pid_t pid = 0;        // the worker's main process, never the pool child
    double timestamp = 0; // epoch seconds, by the sender's clock
    double utcoffset = 0;
    std::int64_t clock = 0;
    // worker-*
    double freq = 0;
    int active = 0;
    std::uint64_t processed = 0;
    std::optional<std::array<double, 3>> loadavg;
    std::string sw_ident, sw_ver, sw_sys;
    // task-*
    std::string uuid, name, args, kwargs, result, exception, traceback, queue;
    int retries = 0;
    double runtime = 0;
    bool terminated = false;
    bool expired = false;
    int signum = 0;

    bool is_worker_event() const { return type.rfind("worker-", 0) == 0; }
    bool is_task_event() const { return type.rfind("task-", 0) == 0; }
};

// The events in one envelope: an object, or a list of them (task.multi batches). An element that
// is not a valid event is skipped and its reason kept.
struct EventBatch {
    std::vector<Event> events;
    std::vector<std::string> errors;
};
EventBatch decode_events(const Envelope& envelope);
// One event object; throws MessageError.
Event event_from_json(const nlohmann::json& j);

// A pidbox reply: whose ticket it answers and what each node said.
struct ControlReply {
    std::string ticket;
    std::map<std::string, nlohmann::json> by_node;
};
// Throws MessageError when the envelope is not a reply.
ControlReply parse_control_reply(const Envelope& envelope);

// One node's reply to a control request as a person reads it: Celery answers {"ok": text} or
// {"error": text} (a refusal, e.g. "ValueError('Autoscale not enabled')" from a worker without
// --autoscale); anything else is shown as its JSON and counts as an answer.
struct NodeAnswer {
    bool ok = true;
    std::string text;
};
NodeAnswer read_node_answer(const nlohmann::json& reply);

// A remote-control request as kombu's Mailbox._broadcast writes it. `destination` empty means
// every worker. Without `reply_oid` it is fire-and-forget (no ticket, no reply_to).
struct ControlRequest {
    std::string method;
    nlohmann::json arguments = nlohmann::json::object();
    std::vector<std::string> destination;
    std::string ticket;
    std::string reply_oid;
    std::int64_t clock = 1;
    double expires = 0; // epoch seconds
    std::string delivery_tag;
};
std::string build_control_envelope(const ControlRequest& request);

// A random (version 4) UUID in its text form.
std::string make_uuid();

} // namespace poolscope::celery
