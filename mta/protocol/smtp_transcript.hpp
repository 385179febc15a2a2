// mta/protocol: the record of an SMTP conversation (commands and reply lines, message content left
// out) that is stored with a message whose delivery failed. Entries share one text buffer,
// so recording costs no allocation once the buffers have grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mta/protocol/smtp_reply.hpp"

namespace mxrelay::mta {

class Transcript {
 public:
  enum class Direction { client, server };
  struct Entry {
    Direction direction;
    std::string_view text;  // valid until the transcript changes
  };

  void add(Direction direction, std::string_view text);
  // One server entry per reply line, e.g. "250-2.1.0 first" then "250 2.1.0 last".
  void add_reply(const SmtpReply& reply);

  std::size_t size() const { return spans_.size(); }
  Entry operator[](std::size_t index) const;
  // Drops every entry from index on (used to keep only the current message's dialogue).
  void truncate(std::size_t index);
  // "C: MAIL FROM:<a@example.com>\nS: 250 2.1.0 Ok\n"
  std::string str() const;

 private:
  struct Span {
    Direction direction;
    std::size_t offset;
    std::size_t length;
  };
  std::string text_;
  std::vector<Span> spans_;
};

}  // namespace mxrelay::mta
