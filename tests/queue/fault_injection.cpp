// Test-only LD_PRELOAD shim: makes fdatasync() fail with ENOSPC ("disk full") while the file
// named by MXRELAY_FAULT_TRIGGER exists, so a test can switch storage failures on and off
// in a running relay and watch it answer 4xx instead of 250.
#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

extern "C" int fdatasync(int fd) {
  using Real = int (*)(int);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "fdatasync"));
  const char* trigger = std::getenv("MXRELAY_FAULT_TRIGGER");
  struct stat info;
  if (trigger != nullptr && ::stat(trigger, &info) == 0) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd);
}
