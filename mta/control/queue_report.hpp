// mta/control: the queue management wire format and its human-readable rendering. The running relay
// turns QueueEntryView/QueueEntryDetail into JSON for the control socket; the `mxrelay queue`
// command prints that JSON as is (--json) or as text in the habit of Postfix's mailq and
// postcat. Pure: no I/O.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "mta/queue_runner/queue_runner.hpp"

namespace mxrelay::mta {

boost::json::object to_json(const QueueEntryView& view);
boost::json::object to_json(const QueueEntryDetail& detail);

// mailq-style listing of a JSON array of views (arrival times in UTC).
std::string render_queue_list(const boost::json::array& entries);
// `queue show`: envelope, per-recipient state, schedule, headers and the last transcript.
// Control characters from remote servers are shown escaped, never sent to the terminal.
std::string render_queue_entry(const boost::json::object& detail);

}  // namespace mxrelay::mta
