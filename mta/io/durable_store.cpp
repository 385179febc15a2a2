// mta/io: awaiting the spool's group commit from a coroutine.
#include "mta/io/durable_store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mta/io/asio_helpers.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
using CommitResult = std::expected<void, core::Failure>;

// Starts a commit with `start(done)` and completes the awaiting coroutine on its executor
// with the result the committer thread passes to done.
template <typename Start>
asio::awaitable<CommitResult> await_commit(Start start) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(CommitResult)>(
      [&start, executor](auto handler) {
        auto work = asio::make_work_guard(executor);
        start([handler = std::move(handler), work = std::move(work)](CommitResult result) mutable {
          auto target = work.get_executor();
          asio::post(target, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable);
}
}  // namespace

asio::awaitable<CommitResult> store_durably(queue::Spool& spool, asio::thread_pool& disk,
                                            const queue::Envelope& envelope,
                                            std::string_view body) {
  auto written = co_await run_blocking(disk, [&] { return spool.write_record(envelope, body); });
  if (!written) co_return written;
  auto committed = co_await await_commit(
      [&](queue::Spool::CommitDone done) { spool.commit_record(envelope.id, std::move(done)); });
  co_return committed;
}

asio::awaitable<CommitResult> append_outcome_durably(queue::Spool& spool, asio::thread_pool& disk,
                                                     const std::string& id,
                                                     const queue::RecipientOutcome& outcome) {
  auto written = co_await run_blocking(disk, [&] { return spool.write_outcome(id, outcome); });
  if (!written) co_return written;
  auto committed = co_await await_commit(
      [&](queue::Spool::CommitDone done) { spool.commit_outcome(std::move(done)); });
  co_return committed;
}

}  // namespace mxrelay::mta
