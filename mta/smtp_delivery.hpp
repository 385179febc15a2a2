// mta: one delivery attempt of one message to one destination over SMTP. Tries the
// resolver's candidates in order: connects with a timeout, drives an SmtpClientSession,
// and moves to the next address when the failure is the connection's (refused, timeout,
// 4xx/5xx greeting, dropped). Reports each recipient's outcome and what was said.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "queue/message_record.hpp"
#include "resolver/route.hpp"

namespace mxrelay::mta {

enum class RecipientStatus { sent, deferred, bounced };
const char* to_string(RecipientStatus status);

struct RecipientResult {
  std::size_t index = 0;  // into Envelope::recipients
  RecipientStatus status = RecipientStatus::deferred;
  std::string dsn;    // enhanced status, e.g. "2.0.0"
  std::string reply;  // the remote reply or our reason
};

struct DeliveryReport {
  std::string relay = "none";  // "host[ip]:port" of the last address talked to
  std::vector<RecipientResult> recipients;
  std::vector<std::string> transcript;  // of the last failed session, without content
};

struct DeliveryRequest {
  const queue::Envelope& envelope;
  std::span<const std::size_t> recipients;  // indexes of the recipients for this destination
  std::string_view body;                    // canonical CRLF message, Received: included
};

boost::asio::awaitable<DeliveryReport> deliver(boost::asio::any_io_executor executor,
                                               const std::vector<resolver::Candidate>& candidates,
                                               DeliveryRequest request,
                                               const conf::DeliveryConfig& config,
                                               const std::string& helo_name);

}  // namespace mxrelay::mta
