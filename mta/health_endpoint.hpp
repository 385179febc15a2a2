// mta: GET /healthz on the metrics listener. prometheus-cpp serves /metrics through civetweb
// and lets the caller pass civetweb callbacks; begin_request answers /healthz itself and
// leaves every other request to the exporter. civetweb's callbacks carry no user data of ours
// (CivetServer keeps its own), so the probe is the process's one registered HealthEndpoint.
#pragma once

#include <functional>

#include "mta/health_check.hpp"

struct CivetCallbacks;

namespace mxrelay::mta {

class HealthEndpoint {
 public:
  // Runs on a civetweb thread for each GET /healthz; may block briefly (a spool sync).
  using Probe = std::function<HealthVerdict()>;

  // Registers probe as the one that /healthz asks (replacing an earlier one); until then,
  // and after this object is gone, /healthz answers 503 "not running".
  explicit HealthEndpoint(Probe probe);
  HealthEndpoint(const HealthEndpoint&) = delete;
  HealthEndpoint& operator=(const HealthEndpoint&) = delete;
  // Unregisters; waits for a /healthz request in progress to finish with the probe.
  ~HealthEndpoint();

  // For prometheus::Exposer's constructor.
  static const CivetCallbacks* callbacks();

 private:
  Probe probe_;
};

}  // namespace mxrelay::mta
