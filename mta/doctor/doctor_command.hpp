// mta/doctor: `mxrelay doctor [-c FILE] [--domain D]... [--json]`: gathers the DNS facts of
// the sending path (each source address's PTR, its forward lookups and the HELO name; each
// sender domain's SPF, DKIM and DMARC records; the root's DNSKEY) through the relay's own
// resolver, configured from the same file, and prints the checks.
#pragma once

namespace mxrelay::mta::doctor {

// argc/argv as main() received them (argv[1] is "doctor"). Exit status: 0 nothing failed
// (warnings allowed), 1 a check failed, 2 usage or configuration error.
int run_doctor_command(int argc, char** argv, const char* default_config);

}  // namespace mxrelay::mta::doctor
