// bench/spool_engines: queue::SegmentLog, the spool's segment log, as a spool engine: a
// message is one durable append of its record; a removal one lazy append of its id.
#include <future>
#include <stdexcept>

#include "queue/segment_log.hpp"
#include "spool_engine.hpp"

namespace mxrelay::bench {
namespace {

class SegmentLogEngine : public SpoolEngine {
 public:
  SegmentLogEngine(const std::string& dir, bool zero_filled)
      : log_(dir, {.segment_size = 64 << 20, .zero_fill = zero_filled}) {}

  void store(const queue::Envelope& envelope, std::string_view body) override {
    std::promise<std::expected<queue::SegmentLog::Location, core::Failure>> durable;
    auto done = durable.get_future();
    log_.append('M', queue::encode_record(envelope, body),
                [&durable](std::expected<queue::SegmentLog::Location, core::Failure> location) {
                  durable.set_value(std::move(location));
                });
    if (auto stored = done.get(); !stored) throw std::runtime_error(stored.error().str());
  }
  void remove(const std::string& id) override { log_.append_lazy('R', id); }
  std::uint64_t syncs() const override { return log_.syncs(); }

 private:
  queue::SegmentLog log_;
};

}  // namespace

std::unique_ptr<SpoolEngine> make_segment_log_engine(const std::string& dir, bool zero_filled) {
  return std::make_unique<SegmentLogEngine>(dir, zero_filled);
}

}  // namespace mxrelay::bench
