// core: the one translation unit that compiles Boost.JSON (header-only mode) for the
// whole program; every other file includes <boost/json.hpp> only.
#include <boost/json/src.hpp>
