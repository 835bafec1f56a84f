// C++: std::getenv. The runtime contract is in README.
#include <cstdlib>
#include <iostream>
#include <string>

int main()
{
	const char *v = std::getenv("RT_SECRET");

	if (!v || !*v) {
		std::cerr << "rt: RT_SECRET missing\n";
		return 3;
	}
	std::cout << std::string(v) << std::endl;  // endl flushes
	return std::system("sleep 1") == 0 ? 0 : 4;
}
