// values_cxx_main.cc — usage: values_cxx_main EXPECTED; prints
// cxx_static=match|empty|other (never the value).
#include <cstdio>
#include <string>

const std::string &values_cxx_password();

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: %s EXPECTED\n", argv[0]);
		return 2;
	}
	const std::string &pw = values_cxx_password();
	std::printf("cxx_static=%s\n", pw.empty() ? "empty" : pw == argv[1] ? "match" : "other");
	return 0;
}
