// bench/spool_engines: today's file-per-message spool behind the benchmark's interface.
#include <future>
#include <stdexcept>

#include "queue/spool.hpp"
#include "spool_engine.hpp"

namespace mxrelay::bench {
namespace {

class SyncCounter : public queue::SpoolObserver {
 public:
  void on_commit(std::size_t, std::size_t syncs) override { syncs_ += syncs; }
  void on_sync() override { ++syncs_; }
  std::atomic<std::uint64_t> syncs_ = 0;
};

class FilePerMessageEngine : public SpoolEngine {
 public:
  explicit FilePerMessageEngine(const std::string& dir) : spool_(dir, &counter_) {}

  void store(const queue::Envelope& envelope, std::string_view body) override {
    if (auto written = spool_.write_record(envelope, body); !written)
      throw std::runtime_error(written.error().str());
    std::promise<std::expected<void, core::Failure>> committed;
    auto done = committed.get_future();
    spool_.commit_record(envelope.id, [&committed](std::expected<void, core::Failure> result) {
      committed.set_value(std::move(result));
    });
    if (auto result = done.get(); !result) throw std::runtime_error(result.error().str());
  }
  void remove(const std::string& id) override {
    if (auto removed = spool_.remove(id); !removed) throw std::runtime_error(removed.error().str());
  }
  std::uint64_t syncs() const override { return counter_.syncs_; }

 private:
  SyncCounter counter_;
  queue::Spool spool_;
};

}  // namespace

std::unique_ptr<SpoolEngine> make_file_per_message_engine(const std::string& dir) {
  return std::make_unique<FilePerMessageEngine>(dir);
}

}  // namespace mxrelay::bench
