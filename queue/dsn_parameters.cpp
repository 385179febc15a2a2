// queue: the NOTIFY decision of RFC 3461 section 4.1.
#include "dsn_parameters.hpp"

namespace mxrelay::queue {

bool should_notify(const std::optional<DsnNotify>& notify, DsnAction action) {
  const DsnNotify requested = notify.value_or(DsnNotify{.failure = true, .delay = true});
  if (requested.never) return false;
  switch (action) {
    case DsnAction::failed:
      return requested.failure;
    case DsnAction::delayed:
      return requested.delay;
    case DsnAction::delivered:
    case DsnAction::relayed:
    case DsnAction::expanded:
      return requested.success;
  }
  return false;
}

}  // namespace mxrelay::queue
