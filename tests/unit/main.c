/* Runs every Check suite (default fork mode: a crashing case fails alone). */
#include "suites.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_add_suite(sr, dotenv_suite());
	srunner_add_suite(sr, resolve_suite());
	srunner_add_suite(sr, vault_suite());
	srunner_add_suite(sr, vault_prod_suite());
	srunner_add_suite(sr, vault_fidelity_suite());
	srunner_add_suite(sr, snapshot_suite());
	srunner_add_suite(sr, target_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, core_rules_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
