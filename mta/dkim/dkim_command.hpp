// mta/dkim: `mxrelay dkim keygen DOMAIN SELECTOR [--ed25519] [--bits N] [--out FILE]` writes a
// new private key (mode 0600, never over an existing file) and prints the TXT record to publish
// and the [[dkim]] entry to add; `mxrelay dkim check [-c FILE] DOMAIN SELECTOR` looks the record
// up through the relay's own resolver and says whether it matches the configured key.
#pragma once

namespace mxrelay::mta::dkim {

// argc/argv as main() received them (argv[1] is "dkim"). Exit status: 0 done (check: the
// record matches), 1 failure or mismatch (message on stderr), 2 usage.
int run_dkim_command(int argc, char** argv, const char* default_config);

}  // namespace mxrelay::mta::dkim
