// values_cxxlib.cc — the C++ form of a constructor before the preload's: a
// namespace-scope std::string initialised from getenv in a shared library
// the program links (its initialiser runs before the preload's constructor).
#include <cstdlib>
#include <string>

static std::string pw = std::getenv("DB_PASSWORD") ? std::getenv("DB_PASSWORD") : "";

const std::string &values_cxx_password()
{
	return pw;
}
