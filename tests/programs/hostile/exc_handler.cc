/* R4: a handler left by a C++ exception (it throws; main catches) leaves the
 * thread inside no handler as far as the preload is concerned: main's first
 * getenv(DB_PASSWORD) afterwards is served from Vault (were the thread still
 * counted in a handler, it would get environ's answer: NULL).
 *
 * Built with g++ -fnon-call-exceptions (a throw out of a handler, through the
 * signal frame, needs its unwind tables at the faulting instruction).
 * usage: exc_handler raise|segv
 *   raise: a SIGUSR1 handler throws, the signal sent by raise() (called
 *     through a pointer: the header declares raise() noexcept, and a throw
 *     out of a call the compiler takes for noexcept ends in terminate());
 *   segv: a SIGSEGV handler throws, the fault a write through NULL.
 * Prints "caught, served". */
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

static void thrower(int)
{
	throw std::runtime_error("from the handler");
}

int *volatile nowhere = nullptr;
int (*volatile send_self)(int) = std::raise;

int main(int argc, char **argv)
{
	bool segv = argc == 2 && !std::strcmp(argv[1], "segv"), caught = false;
	const char *v;

	if (argc != 2)
		return 2;
	if (std::signal(segv ? SIGSEGV : SIGUSR1, thrower) == SIG_ERR)
		return 2;
	try {
		if (segv)
			*nowhere = 1;
		else
			send_self(SIGUSR1);
	} catch (const std::runtime_error &) {
		caught = true;
	}
	if (!caught) {
		std::printf("the exception was not caught\n");
		return 1;
	}
	v = std::getenv("DB_PASSWORD");
	std::printf("caught, %s\n", !v ? "unset" : !std::strcmp(v, "locks-db") ? "served" : "another value");
	return v && !std::strcmp(v, "locks-db") ? 0 : 1;
}
