// mta/io: durable spool writes for coroutines. The write runs on the disk pool; the wait for the
// spool's group commit holds no thread (the committer completes it), and the caller resumes
// on its own executor only once the write is durable, or failed (451 4.3.0 / 452 4.3.1).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <expected>
#include <string>
#include <string_view>

#include "core/smtp_status.hpp"
#include "queue/spool.hpp"

namespace mxrelay::mta {

// A new message: acknowledge it (250) only after this succeeded.
boost::asio::awaitable<std::expected<void, core::Failure>> store_durably(
    queue::Spool& spool, boost::asio::thread_pool& disk, const queue::Envelope& envelope,
    std::string_view body);

// One recipient's final outcome, appended to the message's outcome log.
boost::asio::awaitable<std::expected<void, core::Failure>> append_outcome_durably(
    queue::Spool& spool, boost::asio::thread_pool& disk, const std::string& id,
    const queue::RecipientOutcome& outcome);

}  // namespace mxrelay::mta
