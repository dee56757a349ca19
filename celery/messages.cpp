// SPDX-License-Identifier: GPL-3.0-or-later
#include "celery/messages.h"

#include <cmath>
#include <cstdio>
#include <random>

namespace poolscope::celery {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

const json* member(const json& object, const char* name) {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

std::string string_field(const json& object, const char* name) {
    const json* v = member(object, name);
    if (!v || v->is_null())
        return {};
    if (v->is_string())
        return v->get<std::string>();
    return v->dump(); // a repr that came as a number or list still reads as text
}

double number_field(const json& object, const char* name, double fallback = 0) {
    const json* v = member(object, name);
    if (!v || !v->is_number())
        return fallback;
    const double d = v->get<double>();
    return std::isfinite(d) ? d : fallback;
}

template <typename Int> Int int_field(const json& object, const char* name) {
    const double d = number_field(object, name);
    if (d <= double(std::numeric_limits<Int>::min()) ||
        d >= double(std::numeric_limits<Int>::max()))
        return 0;
    return Int(d);
}

bool bool_field(const json& object, const char* name) {
    const json* v = member(object, name);
    return v && v->is_boolean() && v->get<bool>();
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                           (unsigned char)bytes[i + 2];
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = (unsigned char)bytes[i] << 16;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += '=';
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3);
    unsigned accumulator = 0;
    int bits = 0;
    std::size_t padding = 0;
    for (const char c : text) {
        if (c == '=') {
            ++padding;
            continue;
        }
        if (c == '\n' || c == '\r')
            continue;
        const int v = base64_value(c);
        if (v < 0 || padding)
            throw MessageError("the body is not valid base64");
        accumulator = (accumulator << 6 | unsigned(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char(accumulator >> bits & 0xff);
        }
    }
    if (padding > 2 || bits >= 6)
        throw MessageError("the body is not valid base64 (bad length)");
    return out;
}

std::string raw_preview(std::string_view bytes, std::size_t limit) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
        const auto c = (unsigned char)bytes[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (bytes.size() > limit)
        out += "... (" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

json Envelope::json_body() const {
    if (!body_is_json())
        throw MessageError("content type \"" + content_type +
                           "\" is not deserialized (only application/json is); raw body: " +
                           raw_preview(body, 48));
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        throw MessageError("the body is not valid JSON: " + raw_preview(body, 48));
    return j;
}

Envelope parse_envelope(std::string_view text) {
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        throw MessageError("not a JSON envelope: " + raw_preview(text, 48));
    if (!j.is_object())
        throw MessageError("the envelope is not a JSON object: " + raw_preview(text, 48));
    const json* body = member(j, "body");
    if (!body || !body->is_string())
        throw MessageError("the envelope has no \"body\" string");
    Envelope e;
    e.content_type = string_field(j, "content-type");
    e.content_encoding = string_field(j, "content-encoding");
    if (const json* headers = member(j, "headers"); headers && headers->is_object())
        e.headers = *headers;
    std::string body_encoding;
    if (const json* props = member(j, "properties"); props && props->is_object()) {
        body_encoding = string_field(*props, "body_encoding");
        if (const json* info = member(*props, "delivery_info"); info && info->is_object()) {
            e.exchange = string_field(*info, "exchange");
            e.routing_key = string_field(*info, "routing_key");
        }
    }
    if (body_encoding == "base64")
        e.body = base64_decode(body->get_ref<const std::string&>());
    else if (body_encoding.empty())
        e.body = body->get<std::string>();
    else
        throw MessageError("unknown body_encoding \"" + raw_preview(body_encoding, 32) + "\"");
    return e;
}

Event event_from_json(const json& j) {
    if (!j.is_object())
        throw MessageError("an event is not a JSON object: " + raw_preview(j.dump(), 48));
    Event e;
    e.type = string_field(j, "type");
    if (e.type.empty())
        throw MessageError("an event without a \"type\"");
    if (!e.is_worker_event() && !e.is_task_event())
        throw MessageError("unknown event type \"" + raw_preview(e.type, 40) + "\"");
    e.hostname = string_field(j, "hostname");
    if (e.hostname.empty())
        throw MessageError("a " + e.type + " event without a \"hostname\"");
    e.pid = int_field<pid_t>(j, "pid");
    e.timestamp = number_field(j, "timestamp");
    e.utcoffset = number_field(j, "utcoffset");
    e.clock = int_field<std::int64_t>(j, "clock");
    if (e.is_worker_event()) {
        e.freq = number_field(j, "freq");
        e.active = int_field<int>(j, "active");
        e.processed = int_field<std::uint64_t>(j, "processed");
        if (const json* l = member(j, "loadavg"); l && l->is_array() && l->size() == 3 &&
                                                  (*l)[0].is_number() && (*l)[1].is_number() &&
                                                  (*l)[2].is_number())
            e.loadavg = std::array<double, 3>{(*l)[0].get<double>(), (*l)[1].get<double>(),
                                              (*l)[2].get<double>()};
        e.sw_ident = string_field(j, "sw_ident");
        e.sw_ver = string_field(j, "sw_ver");
        e.sw_sys = string_field(j, "sw_sys");
    } else {
        e.uuid = string_field(j, "uuid");
        if (e.uuid.empty())
            throw MessageError("a " + e.type + " event without a task \"uuid\"");
        e.name = string_field(j, "name");
        e.args = string_field(j, "args");
        e.kwargs = string_field(j, "kwargs");
        e.result = string_field(j, "result");
        e.exception = string_field(j, "exception");
        e.traceback = string_field(j, "traceback");
        e.queue = string_field(j, "queue");
        e.retries = int_field<int>(j, "retries");
        e.runtime = number_field(j, "runtime");
        e.terminated = bool_field(j, "terminated");
        e.expired = bool_field(j, "expired");
        e.signum = int_field<int>(j, "signum");
    }
    return e;
}

EventBatch decode_events(const Envelope& envelope) {
    EventBatch batch;
    json j;
    try {
        j = envelope.json_body();
    } catch (const MessageError& e) {
        batch.errors.push_back(e.what());
        return batch;
    }
    const auto take = [&batch](const json& element) {
        try {
            batch.events.push_back(event_from_json(element));
        } catch (const MessageError& e) {
            batch.errors.push_back(e.what());
        }
    };
    if (j.is_array()) {
        for (const json& element : j)
            take(element);
    } else {
        take(j);
    }
    return batch;
}

ControlReply parse_control_reply(const Envelope& envelope) {
    ControlReply reply;
    reply.ticket = string_field(envelope.headers, "ticket");
    if (reply.ticket.empty())
        throw MessageError("a control reply without a ticket");
    const json body = envelope.json_body();
    if (!body.is_object() || body.empty())
        throw MessageError("a control reply whose body is not {node: reply}");
    for (const auto& [node, value] : body.items())
        reply.by_node[node] = value;
    return reply;
}

NodeAnswer read_node_answer(const json& reply) {
    if (reply.is_object() && reply.size() == 1) {
        if (const auto ok = reply.find("ok"); ok != reply.end())
            return {true, ok->is_string() ? ok->get<std::string>() : ok->dump()};
        if (const auto error = reply.find("error"); error != reply.end())
            return {false, error->is_string() ? error->get<std::string>() : error->dump()};
    }
    return {true, reply.is_null() ? std::string("(no content)") : reply.dump()};
}

std::string build_control_envelope(const ControlRequest& r) {
    json body = {{"method", r.method},
                 {"arguments", r.arguments},
                 {"destination", r.destination.empty() ? json(nullptr) : json(r.destination)},
                 {"pattern", nullptr},
                 {"matcher", nullptr}};
    if (!r.reply_oid.empty()) {
        body["ticket"] = r.ticket;
        body["reply_to"] = {{"exchange", "reply.celery.pidbox"}, {"routing_key", r.reply_oid}};
    }
    const json envelope = {
        {"body", base64_encode(body.dump())},
        {"content-encoding", "utf-8"},
        {"content-type", "application/json"},
        {"headers", {{"clock", r.clock}, {"expires", r.expires}}},
        {"properties",
         {{"delivery_mode", 2},
          {"delivery_info", {{"exchange", "celery.pidbox"}, {"routing_key", ""}}},
          {"priority", 0},
          {"body_encoding", "base64"},
          {"delivery_tag", r.delivery_tag.empty() ? make_uuid() : r.delivery_tag}}}};
    return envelope.dump();
}

std::string make_uuid() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const std::uint64_t a = rng(), b = rng();
    unsigned char bytes[16];
    for (int i = 0; i < 8; ++i) {
        bytes[i] = (unsigned char)(a >> (8 * i));
        bytes[8 + i] = (unsigned char)(b >> (8 * i));
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    char text[37];
    std::snprintf(text, sizeof text,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                  bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return text;
}

} // namespace poolscope::celery
