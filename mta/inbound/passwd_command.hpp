// mta/inbound: `mxrelay passwd FILE USER`: reads a password (on a terminal asked twice with
// echo off, else the first line of stdin) and writes USER's salted PBKDF2 hash into the
// credentials FILE (creating it with mode 0600, replacing USER's line if present), atomically
// through a temporary file and rename.
#pragma once

namespace mxrelay::mta {

// argc/argv as main() received them: argv[1] is "passwd", argv[2] FILE, argv[3] USER.
// Returns the process exit status: 0 done, 1 failure (message on stderr), 2 usage.
int run_passwd_command(int argc, char** argv);

}  // namespace mxrelay::mta
