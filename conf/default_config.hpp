// conf: the documented defaults of every setting, as one Config (what an empty
// configuration file gives). Handy for tests of other modules that need a Config.
#pragma once

#include "config.hpp"

namespace mxrelay::conf {

// server.listen 127.0.0.1:2525, relay_networks 127.0.0.0/8 and ::1/128, queue
// retry_intervals 5m,10m,30m,1h,2h,4h, dns.mx_required outlook.com, hotmail.com, live.com,
// msn.com, gmail.com, yahoo.com; every other field keeps its initializer in config.hpp.
// server.hostname is the machine's host name (gethostname(), canonical), or "" when that
// is not a valid host name.
Config default_config();

}  // namespace mxrelay::conf
