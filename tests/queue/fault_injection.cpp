// Test-only LD_PRELOAD shim: makes syncfs() (the spool's group commit) fail while the file
// named by MXRELAY_FAULT_TRIGGER exists, so a test can switch storage failures on and off in a
// running relay and watch it answer 4xx instead of 250. The file's first line names the
// error: "EIO" (a failed write-back), anything else ENOSPC ("disk full").
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int syncfs(int fd) {
  using Real = int (*)(int);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "syncfs"));
  const char* trigger = std::getenv("MXRELAY_FAULT_TRIGGER");
  if (trigger != nullptr) {
    if (std::FILE* file = std::fopen(trigger, "r")) {
      char kind[16] = {};
      const bool eio =
          std::fgets(kind, sizeof kind, file) != nullptr && std::strncmp(kind, "EIO", 3) == 0;
      std::fclose(file);
      errno = eio ? EIO : ENOSPC;
      return -1;
    }
  }
  return real(fd);
}
