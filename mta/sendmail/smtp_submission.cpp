// mta/sendmail: submit_message() and failure_for_reply().
#include "mta/sendmail/smtp_submission.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sysexits.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include "mta/protocol/dot_stuffing.hpp"
#include "mta/protocol/smtp_capabilities.hpp"

namespace mxrelay::mta::sendmail {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Each read and each write may take this long: the relay answers its own loopback clients
// at once unless it is stuck.
constexpr int kTimeoutSeconds = 120;

bool has_eight_bit(std::string_view text) {
  return std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) > 127; });
}

class LocalSmtpSession {
 public:
  explicit LocalSmtpSession(const SubmissionTarget& target) : target_(target), socket_(io_) {}

  std::expected<void, SendmailFailure> connect() {
    const auto& endpoint = target_.endpoint;
    auto address = asio::ip::make_address(endpoint.address.str());
    boost::system::error_code error;
    socket_.connect(tcp::endpoint(address, endpoint.port), error);
    if (error)
      return std::unexpected(SendmailFailure{
          EX_TEMPFAIL, "cannot connect to the relay at " + endpoint.str() + ": " + error.message() +
                           " (is mxrelay running? systemctl status mxrelay)"});
    usable_ = true;
    timeval limit{};
    limit.tv_sec = kTimeoutSeconds;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    return expect("the greeting", 2);
  }

  std::expected<PeerCapabilities, SendmailFailure> hello() {
    auto reply = command("EHLO " + target_.hostname);
    if (!reply) return std::unexpected(reply.error());
    if (reply->is_positive()) return PeerCapabilities::from_ehlo_reply(*reply);
    if (auto helo = command_expecting("HELO " + target_.hostname, 2); !helo)
      return std::unexpected(helo.error());
    return PeerCapabilities{};
  }

  // Sends line (CRLF added) and expects a reply of the given class (2 or 3).
  std::expected<void, SendmailFailure> command_expecting(const std::string& line, int expected) {
    auto reply = command(line);
    if (!reply) return std::unexpected(reply.error());
    if (reply->code / 100 != expected) return std::unexpected(failure_for_reply(line, *reply));
    return {};
  }

  std::expected<void, SendmailFailure> send_data(std::string_view data) {
    std::string stuffed;
    append_dot_stuffed(stuffed, data);
    if (auto sent = send(stuffed); !sent) return sent;
    return expect("the message", 2);
  }

  // Ends a dialogue that still has a connection, whatever its result.
  void quit() {
    if (usable_ && send("QUIT\r\n")) (void)read_reply("QUIT");
  }

 private:
  std::expected<SmtpReply, SendmailFailure> command(const std::string& line) {
    if (auto sent = send(line + "\r\n"); !sent) return std::unexpected(sent.error());
    return read_reply(line);
  }

  std::expected<void, SendmailFailure> expect(std::string_view what, int expected) {
    auto reply = read_reply(what);
    if (!reply) return std::unexpected(reply.error());
    if (reply->code / 100 != expected) return std::unexpected(failure_for_reply(what, *reply));
    return {};
  }

  std::expected<void, SendmailFailure> send(std::string_view bytes) {
    boost::system::error_code error;
    asio::write(socket_, asio::buffer(bytes), error);
    if (error) return std::unexpected(lost("sending", error));
    return {};
  }

  std::expected<SmtpReply, SendmailFailure> read_reply(std::string_view after) {
    std::array<char, 4096> buffer;
    for (;;) {
      auto reply = parser_.next();
      if (!reply)
        return std::unexpected(SendmailFailure{
            EX_PROTOCOL, "the relay's reply to " + std::string(after) +
                             " is malformed: " + std::string(describe(reply.error()))});
      if (*reply) return std::move(**reply);
      boost::system::error_code error;
      auto size = socket_.read_some(asio::buffer(buffer), error);
      if (error)
        return std::unexpected(lost("waiting for the reply to " + std::string(after), error));
      parser_.feed(std::string_view(buffer.data(), size));
    }
  }

  SendmailFailure lost(const std::string& doing, const boost::system::error_code& error) {
    usable_ = false;
    return {EX_TEMPFAIL, "connection to the relay at " + target_.endpoint.str() + " lost " + doing +
                             ": " + error.message()};
  }

  const SubmissionTarget& target_;
  asio::io_context io_;
  tcp::socket socket_;
  ReplyParser parser_;
  bool usable_ = false;  // connected, and nothing lost since
};

std::expected<void, SendmailFailure> run_dialogue(LocalSmtpSession& session,
                                                  const Envelope& envelope, std::string_view data) {
  if (auto connected = session.connect(); !connected) return connected;
  auto capabilities = session.hello();
  if (!capabilities) return std::unexpected(capabilities.error());
  std::string mail = "MAIL FROM:<" + envelope.sender + ">";
  if (capabilities->eight_bit_mime && has_eight_bit(data)) mail += " BODY=8BITMIME";
  bool utf8_address =
      has_eight_bit(envelope.sender) || std::ranges::any_of(envelope.recipients, has_eight_bit);
  if (capabilities->smtputf8 && utf8_address) mail += " SMTPUTF8";
  if (auto accepted = session.command_expecting(mail, 2); !accepted) return accepted;
  for (const auto& recipient : envelope.recipients)
    if (auto accepted = session.command_expecting("RCPT TO:<" + recipient + ">", 2); !accepted)
      return accepted;
  if (auto go_ahead = session.command_expecting("DATA", 3); !go_ahead) return go_ahead;
  return session.send_data(data);
}

}  // namespace

SendmailFailure failure_for_reply(std::string_view command, const SmtpReply& reply) {
  int status = EX_UNAVAILABLE;
  if (reply.is_transient())
    status = EX_TEMPFAIL;
  else if (reply.is_permanent() && command.starts_with("RCPT TO:"))
    status = EX_NOUSER;
  return {status, "the relay refused " + std::string(command) + ": " + reply.str()};
}

std::expected<void, SendmailFailure> submit_message(const SubmissionTarget& target,
                                                    const Envelope& envelope,
                                                    std::string_view data) {
  LocalSmtpSession session(target);
  auto result = run_dialogue(session, envelope, data);
  session.quit();
  return result;
}

}  // namespace mxrelay::mta::sendmail
