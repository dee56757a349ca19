// SPDX-License-Identifier: MIT
// libFuzzer harness for the monitor protocol's decoder (poolcore/monitor_protocol.h): whatever
// bytes a viewer or a server sends, in whatever pieces, the decoder answers NeedMore, Message or
// a sticky Error with a reason, and every message it yields reads into the protocol's structs or
// throws the documented exceptions, never anything else.
#include "poolcore/monitor_protocol.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

namespace {

void read_as_protocol(const nlohmann::json& message) {
    const std::string& type = message.at("type").get_ref<const std::string&>();
    try {
        if (type == "snapshot") {
            (void)message.at("stats").get<poolcore::StatsSnapshot>();
            (void)message.at("info").get<poolcore::Info>();
        } else if (type == "events") {
            (void)message.at("events").get<std::vector<poolcore::MonitorEvent>>();
        } else if (type == "jobs") {
            (void)message.at("records").get<std::vector<poolcore::JobRecord>>();
        }
    } catch (const nlohmann::json::exception&) {
    } catch (const std::invalid_argument&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The first byte picks how the stream is cut, so frames split across reads are explored.
    const std::size_t piece = size ? 1 + data[0] % 64 : 1;
    poolcore::MonitorFrameDecoder decoder(poolcore::kMonitorMaxRequestBytes);
    bool failed = false;
    for (std::size_t at = size ? 1 : 0; at < size; at += piece) {
        const std::size_t n = std::min(piece, size - at);
        decoder.feed(std::string_view(reinterpret_cast<const char*>(data) + at, n));
        nlohmann::json message;
        for (;;) {
            const auto status = decoder.next(message);
            if (status == poolcore::MonitorFrameDecoder::Status::NeedMore)
                break;
            if (status == poolcore::MonitorFrameDecoder::Status::Error) {
                if (decoder.error().empty())
                    std::abort(); // every error says why
                failed = true;
                break;
            }
            if (failed || !message.is_object() || !message.at("type").is_string())
                std::abort(); // nothing after an error; only objects with a type
            read_as_protocol(message);
        }
    }
    return 0;
}
