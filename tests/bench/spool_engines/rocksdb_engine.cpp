// bench/spool_engines: RocksDB as a spool engine: the record under its queue id, written with
// a synced WAL; RocksDB groups concurrent synced writers into one WAL sync. Tuned for a spool:
// a write group may hold 32 MiB (the default 1 MiB would split groups of 100 KiB messages),
// values from 4 KiB on go to blob files (a message that outlives the memtable is then not
// rewritten by every compaction), no compression (bodies are mostly incompressible MIME).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>

#include <stdexcept>

#include "spool_engine.hpp"

namespace mxrelay::bench {
namespace {

class RocksDbEngine : public SpoolEngine {
 public:
  explicit RocksDbEngine(const std::string& dir) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.statistics = rocksdb::CreateDBStatistics();
    options.compression = rocksdb::kNoCompression;
    options.max_write_batch_group_size_bytes = 32 << 20;
    options.enable_blob_files = true;
    options.min_blob_size = 4096;
    statistics_ = options.statistics;
    rocksdb::DB* db = nullptr;
    const auto status = rocksdb::DB::Open(options, dir, &db);
    if (!status.ok()) throw std::runtime_error("rocksdb open: " + status.ToString());
    db_.reset(db);
  }

  void store(const queue::Envelope& envelope, std::string_view body) override {
    const auto record = queue::encode_record(envelope, body);
    rocksdb::WriteOptions options;
    options.sync = true;
    const auto status = db_->Put(options, envelope.id, record);
    if (!status.ok()) throw std::runtime_error("rocksdb put: " + status.ToString());
  }
  void remove(const std::string& id) override {
    const auto status = db_->Delete(rocksdb::WriteOptions(), id);
    if (!status.ok()) throw std::runtime_error("rocksdb delete: " + status.ToString());
  }
  std::uint64_t syncs() const override {
    return statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  }

 private:
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<SpoolEngine> make_rocksdb_engine(const std::string& dir) {
  return std::make_unique<RocksDbEngine>(dir);
}

}  // namespace mxrelay::bench
